"""Staff pages: the order list (by place and status, exportable), an order with its history
and the answers to the hotline, the spreadsheet adapter's export and the gateway credentials.

Every write calls the same service as the API; a refusal is shown as a message and changes
nothing.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core.excel import workbook_bytes, xlsx_response
from gongzhi.hotline import adapters, rules, selectors, services
from gongzhi.hotline.models import (
    GatewayCredential,
    HotlineOrder,
    OrderStatus,
    OutboundAction,
    OutboundStatus,
)
from gongzhi.listing.pages import choice_param, place_param, render_list, text_param
from gongzhi.places.models import Community

EXPORT_HEADERS = ["工单编号", "诉求类型", "热线分类", "紧急程度", "派单单位", "位置", "状态"]
EXPORT_HEADERS += ["签收时限", "回复时限", "回访结果"]


def _require_viewer(user) -> None:
    if not rules.can_view_orders(user):
        raise PermissionDenied


def order_get(user, pk: int) -> HotlineOrder:
    """An order the user may see (404 otherwise)."""
    _require_viewer(user)
    order = (
        rules.orders_visible(user, HotlineOrder.objects.all())
        .select_related("community", "matter__compound", "matter__building__compound")
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404
    return order


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _export(qs) -> bytes:
    rows = [
        [
            o.order_no,
            o.get_kind_display(),
            o.hotline_category,
            o.get_urgency_display(),
            o.dispatching_unit,
            str(o.matter.building or o.matter.compound or o.community.name),
            o.get_status_display(),
            _local(o.sign_due_at),
            _local(o.reply_due_at),
            o.get_callback_satisfaction_display(),
        ]
        for o in qs
    ]
    return workbook_bytes("12345工单", EXPORT_HEADERS, rows)


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    _require_viewer(request.user)

    def rows():
        return selectors.order_list(
            request.user,
            place=place_param(request),
            status=choice_param(request, "status", OrderStatus),
            number=text_param(request, "q"),
        )

    pending = OutboundAction.objects.filter(
        order__in=rules.orders_visible(request.user, HotlineOrder.objects.all()),
        adapter="spreadsheet",
        status=OutboundStatus.QUEUED,
    ).count()
    return render_list(
        request,
        rows=rows,
        template="hotline/list.html",
        partial="hotline/_rows.html",
        export=_export,
        filename="12345工单.xlsx",
        context={
            "statuses": OrderStatus.choices,
            "pending_answers": pending,
            "can_credentials": rules.credential_community_id(request.user) is not None
            or request.user.is_superuser,
        },
    )


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_get(request.user, pk)
    return render(
        request,
        "hotline/detail.html",
        {
            "order": order,
            "events": selectors.order_events(order),
            "can_answer": rules.can_answer(request.user, order),
            "now": timezone.now(),
        },
    )


def _answer(request, order: HotlineOrder, action: str) -> None:
    post = request.POST
    if action == "sign":
        services.order_sign(actor=request.user, order=order)
    elif action == "reply":
        services.order_reply(actor=request.user, order=order, text=post.get("text", ""))
    elif action == "return":
        services.order_return(actor=request.user, order=order, reason=post.get("reason", ""))
    elif action == "extend":
        raw = post.get("new_due", "").strip()
        new_due = parse_datetime(raw) if raw else None
        if new_due is not None and timezone.is_naive(new_due):
            new_due = timezone.make_aware(new_due)
        if new_due is None:
            raise services.HotlineError("invalid_date", _("Choose the new reply date."))
        services.order_extend(
            actor=request.user, order=order, new_due=new_due, reason=post.get("reason", "")
        )
    else:
        raise Http404


DONE_MESSAGES = {
    "sign": gettext_lazy("Signed for; the hotline will be told."),
    "reply": gettext_lazy("Replied; the hotline will be told."),
    "return": gettext_lazy("Returned; the hotline will be told."),
    "extend": gettext_lazy("Extension requested; the hotline will be told."),
}


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    order = order_get(request.user, pk)
    try:
        _answer(request, order, action)
    except services.HotlineError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, DONE_MESSAGES[action])
    return redirect("hotline:detail", pk=order.pk)


@login_required
@require_POST
def export_answers(request: HttpRequest) -> HttpResponse:
    """The spreadsheet adapter: the queued answers of the orders the user may see."""
    _require_viewer(request.user)
    communities = Community.objects.filter(
        pk__in=rules.orders_visible(request.user, HotlineOrder.objects.all()).values("community")
    )
    content, _count = adapters.spreadsheet_export(communities=communities)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(f"12345回复-{stamp}.xlsx", content)


@login_required
@require_http_methods(["GET", "POST"])
def credentials(request: HttpRequest) -> HttpResponse:
    """The community's gateway credentials: create (the key shown once) and revoke."""
    community_id = rules.credential_community_id(request.user)
    if community_id is None:
        raise PermissionDenied
    community = Community.objects.get(pk=community_id)
    new_key = ""
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                credential = GatewayCredential.objects.filter(
                    community=community, pk=request.POST.get("revoke", "")
                ).first()
                if credential is None:
                    raise Http404
                services.credential_revoke(actor=request.user, credential=credential)
                messages.success(request, _("The key is revoked."))
            else:
                _credential, new_key = services.credential_create(
                    actor=request.user, community=community, name=request.POST.get("name", "")
                )
        except services.HotlineError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "hotline/credentials.html",
        {
            "community": community,
            "rows": selectors.credentials_of(community.pk),
            "new_key": new_key,
            "since": timezone.now() - dt.timedelta(days=1),
        },
    )

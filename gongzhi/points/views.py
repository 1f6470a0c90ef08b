"""Points pages: my points, the shop (order with htmx), the staff pickup desk, item
management and the accounts list. Lists go through ``render_list`` (place filter, htmx
partial, ``?format=xlsx``); every POST calls one service and shows its ``PointsError``."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.accounts.scope import is_staff_like
from gongzhi.listing.pages import choice_param, paginate, place_param, render_list, text_param
from gongzhi.points import rules, selectors, services
from gongzhi.points.excel import accounts_export, items_export, redemptions_export
from gongzhi.points.forms import ItemForm, StockError
from gongzhi.points.models import RedemptionStatus, ShopItem
from gongzhi.points.services import PointsError


def _shop_staff(user) -> int:
    """The community whose shop the user runs, or 403."""
    community_id = rules.shop_community_id(user)
    if community_id is None or not rules.can_run_shop(user, community_id):
        raise PermissionDenied
    return community_id


@login_required
def my_points(request: HttpRequest) -> HttpResponse:
    account = selectors.account_for_user(request.user)
    history = paginate(request, selectors.postings_of(account)) if account else None
    orders = selectors.redemption_list(request.user, mine=True)[:20]
    return render(
        request,
        "points/mine.html",
        {"account": account, "page": history, "orders": orders, "is_holder": bool(account)},
    )


@login_required
def shop(request: HttpRequest) -> HttpResponse:
    account = selectors.account_for_user(request.user)
    return render_list(
        request,
        rows=lambda: selectors.item_list(
            request.user, place=place_param(request), active_only=True
        ),
        template="points/shop.html",
        partial="points/_shop_rows.html",
        export=items_export,
        filename="积分超市.xlsx",
        context={
            "account": account,
            "can_order": selectors.holder_of(request.user) is not None,
            "order_key": uuid.uuid4().hex,
        },
    )


@login_required
@require_POST
def order(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_list(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404
    holder = selectors.holder_of(request.user)
    if holder is None:
        raise PermissionDenied
    try:
        quantity = int(request.POST.get("quantity", "1"))
    except ValueError:
        quantity = 0
    context = {"item": item}
    try:
        redemption = services.redemption_order(
            holder=holder,
            item=item,
            quantity=quantity,
            actor=request.user,
            idempotency_key=request.POST.get("key", ""),
        )
    except PointsError as exc:
        context["error"] = exc.message
        status = 409
    else:
        context["redemption"] = redemption
        status = 200
    item.refresh_from_db()
    context["balance"] = services.balance_of(holder)
    context["order_key"] = uuid.uuid4().hex
    if request.headers.get("HX-Request") == "true":
        return render(request, "points/_order_result.html", context, status=status)
    if "error" in context:
        messages.error(request, context["error"])
    else:
        messages.success(request, _("Ordered: pick it up at the community service desk."))
    return redirect("points:shop")


@login_required
@require_POST
def resolve(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    redemption = selectors.redemption_list(request.user).filter(pk=pk).first()
    if redemption is None:
        raise Http404
    try:
        if action == "fulfil":
            services.redemption_fulfil(redemption=redemption, actor=request.user)
            messages.success(request, _("Handed over."))
        elif action == "cancel":
            services.redemption_cancel(
                redemption=redemption,
                actor=request.user,
                reason=request.POST.get("reason", "")[:200],
            )
            messages.success(request, _("Order cancelled; the points are back."))
        else:
            raise Http404
    except PointsError as exc:
        messages.error(request, exc.message)
    return redirect(_safe_next(request) or "points:mine")


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    if not is_staff_like(request.user):
        raise PermissionDenied
    community_id = rules.shop_community_id(request.user)
    return render_list(
        request,
        rows=lambda: selectors.redemption_list(
            request.user,
            place=place_param(request),
            status=choice_param(request, "status", RedemptionStatus),
        ),
        template="points/desk.html",
        partial="points/_desk_rows.html",
        export=redemptions_export,
        filename="积分兑换.xlsx",
        context={
            "statuses": RedemptionStatus.choices,
            # Grid workers and officials look at the desk; only the community's staff run the
            # shop, so only they get the hand-over controls and the link to the items.
            "runs_shop": community_id is not None
            and rules.can_run_shop(request.user, community_id),
        },
    )


def _chosen_ids(request: HttpRequest, name: str) -> list[int]:
    try:
        return [int(value) for value in request.POST.getlist(name)]
    except ValueError:
        raise PointsError("bad_input", _("Choose the orders from the list.")) from None


@login_required
@require_POST
def handout(request: HttpRequest) -> HttpResponse:
    """Hand over the orders ticked on the desk, all or none."""
    try:
        ids = _chosen_ids(request, "orders")
        chosen = list(selectors.redemption_list(request.user).filter(pk__in=ids))
        if len(chosen) != len(set(ids)):
            raise PointsError("unknown_order", _("One of the chosen orders is not in your list."))
        done = services.redemptions_fulfil_many(redemptions=chosen, actor=request.user)
    except PointsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Handed over: %(n)d orders.") % {"n": len(done)})
    return redirect(_safe_next(request) or "points:desk")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts=None) else ""


@login_required
def item_list_view(request: HttpRequest) -> HttpResponse:
    _shop_staff(request.user)
    return render_list(
        request,
        rows=lambda: selectors.item_list(request.user, place=place_param(request)),
        template="points/items.html",
        partial="points/_item_rows.html",
        export=items_export,
        filename="积分超市商品.xlsx",
    )


@login_required
def item_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    community_id = _shop_staff(request.user)
    instance = None
    if pk is not None:
        instance = ShopItem.objects.filter(pk=pk, community_id=community_id).first()
        if instance is None:
            raise Http404
    form = ItemForm(request.POST or None, instance=instance, community_id=community_id)
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except StockError as exc:
            form.add_error("add_stock", str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("points:items")
    return render(
        request,
        "points/item_form.html",
        {"form": form, "item": instance},
        status=400 if form.errors else 200,
    )


@login_required
def account_list_view(request: HttpRequest) -> HttpResponse:
    if not is_staff_like(request.user):
        raise PermissionDenied
    return render_list(
        request,
        rows=lambda: selectors.account_list(
            request.user, place=place_param(request), text=text_param(request, "q")
        ),
        template="points/accounts.html",
        partial="points/_account_rows.html",
        export=accounts_export,
        filename="积分账户.xlsx",
    )

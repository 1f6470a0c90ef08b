"""The audit page (/audit/): staff, officials and superusers read the records of their place."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.audit.models import AuditAction, AuditRecord
from gongzhi.audit.rules import audit_reach, can_export_audit, can_see_audit
from gongzhi.audit.selectors import audit_list
from gongzhi.core.excel import workbook_bytes
from gongzhi.core.scope import restrict
from gongzhi.listing.pages import BadFilter, place_param, render_list, text_param
from gongzhi.places.models import Community

EXPORT_HEADERS = ["时间", "用户", "操作", "对象", "社区", "地址", "详情"]


def date_param(request: HttpRequest, name: str) -> dt.date | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadFilter(
            _("%(value)s is not a date; write it like 2026-12-01.") % {"value": value[:20]}
        ) from None


def audit_export(qs: QuerySet[AuditRecord]) -> bytes:
    def line(row: AuditRecord) -> list:
        return [
            timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S"),
            row.actor_username,
            row.action_label,
            row.subject,
            row.community.name if row.community_id else "",
            row.address,
            ", ".join(f"{key}={value}" for key, value in sorted(row.detail.items())),
        ]

    return workbook_bytes("审计记录", EXPORT_HEADERS, map(line, qs.iterator(chunk_size=2000)))


@login_required
def audit_list_view(request: HttpRequest) -> HttpResponse:
    if not can_see_audit(request.user):
        raise PermissionDenied

    def rows():
        action = request.GET.get("action", "").strip()
        if action and action not in AuditAction.values:
            raise BadFilter(_("Unknown action %(value)s") % {"value": action[:30]})
        return audit_list(
            request.user,
            username=text_param(request, "q"),
            action=action,
            since=date_param(request, "since"),
            until=date_param(request, "until"),
            place=place_param(request),
        )

    communities = [
        (f"community:{pk}", name)
        for pk, name in restrict(Community.objects.all(), audit_reach(request.user))
        .order_by("name")
        .values_list("pk", "name")
    ]
    return render_list(
        request,
        rows=rows,
        template="audit/list.html",
        partial="audit/_rows.html",
        export=audit_export if can_export_audit(request.user) else None,
        filename="审计记录.xlsx",
        context={"actions": AuditAction.choices, "communities": communities},
    )

"""Reads of the audit trail, shared by the page, its export and the command."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from gongzhi.audit.models import AuditRecord
from gongzhi.audit.rules import audit_visible
from gongzhi.core.places import Place
from gongzhi.core.scope import narrow


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of a local day (Asia/Shanghai), as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_list(
    user,
    *,
    username: str = "",
    action: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    place: Place | None = None,
) -> QuerySet[AuditRecord]:
    """The records ``user`` may read, newest first; ``since`` and ``until`` are local days,
    both included."""
    qs = narrow(audit_visible(user, AuditRecord.objects.all()), place)
    if username:
        qs = qs.filter(actor_username=username)
    if action:
        qs = qs.filter(action=action)
    if since:
        qs = qs.filter(at__gte=day_start(since))
    if until:
        qs = qs.filter(at__lt=day_start(until + dt.timedelta(days=1)))
    return qs.select_related("community").order_by("-at", "-id")

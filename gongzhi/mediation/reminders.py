"""The mediation step of ``gongzhi sweep``: follow-up visits due and overdue.

A follow-up visit not yet recorded tells the case's mediators once on its due day
(``due_notified_at``) and once more when it is ``OVERDUE_AFTER_DAYS`` days late
(``overdue_notified_at``). The mark is set under the row lock, so a second run (or two at
once) sends nothing.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.mediation.models import CaseStatus, FollowUp
from gongzhi.mediation.services import _title, link, mediator_users
from gongzhi.notifications.services import notify_users

OVERDUE_AFTER_DAYS = 3


def _pending(today: dt.date, *, overdue: bool):
    qs = FollowUp.objects.filter(done_at__isnull=True, case__status=CaseStatus.FOLLOWING_UP)
    if overdue:
        return qs.filter(
            due_on__lt=today - dt.timedelta(days=OVERDUE_AFTER_DAYS),
            overdue_notified_at__isnull=True,
        )
    return qs.filter(due_on__lte=today, due_notified_at__isnull=True)


def _remind(follow_up_id: int, today: dt.date, now: dt.datetime, *, overdue: bool) -> bool:
    with transaction.atomic():
        follow_up = (
            _pending(today, overdue=overdue)
            .select_for_update()
            .filter(pk=follow_up_id)
            .select_related("case")
            .first()
        )
        if follow_up is None:
            return False
        case = follow_up.case
        if overdue:
            follow_up.overdue_notified_at = now
            # A visit reported late needs no separate "due" reminder any more.
            follow_up.due_notified_at = follow_up.due_notified_at or now
            text = _("Follow-up visit overdue: case #%(id)s (%(kind)s)")
        else:
            follow_up.due_notified_at = now
            text = _("Follow-up visit due: case #%(id)s (%(kind)s)")
        follow_up.save(update_fields=["due_notified_at", "overdue_notified_at"])
        notify_users(
            users=mediator_users(case),
            kind="mediation_follow_up",
            title=_title(case, text),
            link=link(case),
        )
        return True


def remind_follow_ups(now: dt.datetime) -> dict[str, int]:
    today = timezone.localdate(now)
    counts = {}
    for key, overdue in (("mediation_overdue", True), ("mediation_due", False)):
        ids = list(_pending(today, overdue=overdue).values_list("pk", flat=True))
        counts[key] = sum(_remind(pk, today, now, overdue=overdue) for pk in ids)
    return {
        "mediation_follow_ups_due": counts["mediation_due"],
        "mediation_follow_ups_overdue": counts["mediation_overdue"],
    }

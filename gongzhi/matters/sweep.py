"""The periodic sweep (``gongzhi sweep``): deadlines, escalation and unanswered whistles.

Each step is a function ``step(now) -> dict[str, int]`` of counts; ``sweep`` runs ``STEPS`` in
order and merges the counts. Later features (points, meeting reminders) add their own steps.

Every step is idempotent: what it did is recorded as a ``MatterEvent`` and a step only acts on
matters without that event, re-checked under the row lock, so running the sweep every minute
(even two at once) reports each lapse once and a second run returns zero counts.

* ``mark_overdue``: a matter still *received* past its acknowledge deadline, or still being
  worked on (received … in progress) past its resolve deadline, is flagged ``overdue``; an
  ``overdue`` event names the deadline, and its owners and the community staff are told.
  Each of the two deadlines is reported once.
* ``escalate_late``: a matter late by more than its whole resolve period (now − due > due −
  submitted) goes one escalation level up, to the subdistrict officials, once.
* ``report_silent_whistles``: a summoned department (whistle owner) that has not responded by
  its ``respond_by`` is reported once to the community staff and the subdistrict officials.
"""

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.matters.models import WORKING_STATUSES, Matter, MatterEvent, MatterOwner, Status
from gongzhi.matters.services import flow, matter_link, owner_users, supervisor_users
from gongzhi.notifications.services import notify_users

ACK = "acknowledge"
RESOLVE = "resolve"


def _has_event(action: str, **data) -> Exists:
    lookups = {f"data__{key}": value for key, value in data.items()}
    return Exists(MatterEvent.objects.filter(matter=OuterRef("pk"), action=action, **lookups))


def _lapsed(deadline: str, now: dt.datetime):
    """Matters past ``deadline`` that have not yet been marked for it."""
    if deadline == ACK:
        matters = Matter.objects.filter(status=Status.RECEIVED, ack_due_at__lt=now)
    else:
        matters = Matter.objects.filter(status__in=WORKING_STATUSES, due_at__lt=now)
    return matters.filter(~_has_event("overdue", deadline=deadline))


def _mark(matter_id: int, deadline: str, now: dt.datetime) -> bool:
    with transaction.atomic():
        matter = _lapsed(deadline, now).select_for_update().filter(pk=matter_id).first()
        if matter is None:
            return False
        matter.overdue = True
        matter.save(update_fields=["overdue"])
        flow.record(matter, actor=None, action="overdue", data={"deadline": deadline}, now=now)
        if deadline == ACK:
            title = _("Not acknowledged in time: %(text)s")
        else:
            title = _("Overdue: %(text)s")
        notify_users(
            users=[*owner_users(matter), *supervisor_users(matter, level=0)],
            kind="matter_overdue",
            title=title % {"text": matter.text[:30]},
            link=matter_link(matter),
        )
        return True


def mark_overdue(now: dt.datetime) -> dict[str, int]:
    marked = 0
    for deadline in (ACK, RESOLVE):
        for matter_id in list(_lapsed(deadline, now).values_list("pk", flat=True)):
            marked += _mark(matter_id, deadline, now)
    return {"overdue": marked}


def _late_unescalated(now: dt.datetime):
    return Matter.objects.filter(status__in=WORKING_STATUSES, due_at__lt=now).filter(
        ~_has_event("escalate", reason="overdue")
    )


def _far_overdue(matter: Matter, now: dt.datetime) -> bool:
    return now - matter.due_at > matter.due_at - matter.created_at


def escalate_late(now: dt.datetime) -> dict[str, int]:
    escalated = 0
    late = _late_unescalated(now).only("pk", "due_at", "created_at")
    for matter_id in [m.pk for m in late if _far_overdue(m, now)]:
        with transaction.atomic():
            matter = _late_unescalated(now).select_for_update().filter(pk=matter_id).first()
            if matter is None or not _far_overdue(matter, now):
                continue
            matter.escalation_level += 1
            matter.save(update_fields=["escalation_level"])
            flow.record(
                matter,
                actor=None,
                action="escalate",
                data={"reason": "overdue", "level": matter.escalation_level},
                now=now,
            )
            notify_users(
                users=supervisor_users(matter, level=matter.escalation_level),
                kind="matter_escalated",
                title=_("Escalated, long overdue: %(text)s") % {"text": matter.text[:30]},
                link=matter_link(matter),
            )
            escalated += 1
    return {"escalated": escalated}


def _silent_whistles(now: dt.datetime):
    """Active whistle owners of matters still being worked on, past their response time."""
    return MatterOwner.objects.filter(
        active=True,
        is_whistle=True,
        respond_by__lt=now,
        matter__status__in=WORKING_STATUSES,
    )


def _handled_whistles(matter_ids) -> set[int]:
    """Whistle owners that responded or were already reported."""
    events = MatterEvent.objects.filter(
        matter_id__in=matter_ids, action__in=["whistle_response", "whistle_overdue"]
    ).values_list("data", flat=True)
    return {data.get("owner") for data in events}


def report_silent_whistles(now: dt.datetime) -> dict[str, int]:
    reported = 0
    whistles = list(_silent_whistles(now).values_list("pk", "matter_id"))
    handled = _handled_whistles({matter_id for _pk, matter_id in whistles})
    for owner_id, matter_id in whistles:
        if owner_id in handled:
            continue
        with transaction.atomic():
            matter = Matter.objects.select_for_update().get(pk=matter_id)
            if owner_id in _handled_whistles([matter_id]):
                continue
            owner = _silent_whistles(now).select_related("organisation").filter(pk=owner_id).first()
            if owner is None:
                continue
            flow.record(
                matter,
                actor=None,
                action="whistle_overdue",
                data={"owner": owner.pk, "organisation": str(owner.organisation)},
                now=now,
            )
            notify_users(
                users=[*supervisor_users(matter, level=0), *supervisor_users(matter, level=1)],
                kind="whistle_overdue",
                title=_("%(organisation)s has not responded: %(text)s")
                % {"organisation": owner.organisation, "text": matter.text[:30]},
                link=matter_link(matter),
            )
            reported += 1
    return {"whistles_overdue": reported}


STEPS: list[Callable[[dt.datetime], dict[str, int]]] = [
    mark_overdue,
    escalate_late,
    report_silent_whistles,
]


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Run every step; returns the merged counts (all zero when there was nothing to do)."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for step in STEPS:
        counts.update(step(now))
    return counts

"""What the volunteering services share: the error, the transitions of records, claims and
star awards (``core.services.Transitions``) and the checks of minutes, reasons and people."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.scope import Actor
from gongzhi.core.services import ServiceError, Transitions, acting_user, now_or
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.volunteering.models import (
    Activity,
    ActivityEvent,
    ClaimEvent,
    PointsClaim,
    RecordEvent,
    ServiceRecord,
    StarAward,
    StarEvent,
)

MAX_MINUTES = 24 * 60  # one activity is at most a day of service


class VolunteeringError(ServiceError):
    """A refused write (``core.services.ServiceError``): 403 ``forbidden``, 409 the state
    conflicts below, 400 the rest."""

    statuses = {
        code: 409
        for code in (
            "duplicate_participant",
            "in_publicity",
            "not_in_publicity",
            "insufficient",
            "already_reversed",
        )
    }


def _forbidden() -> VolunteeringError:
    return VolunteeringError("forbidden", _("You may not do this."))


BAD_STATE = gettext_lazy("Something that is “%(status)s” cannot be %(verb)s.")

# Each row is locked alone and read with the rows its permission check needs.
records = Transitions(
    ServiceRecord,
    RecordEvent,
    "record",
    error=VolunteeringError,
    bad_state=BAD_STATE,
    related=("activity",),
)
claims = Transitions(
    PointsClaim,
    ClaimEvent,
    "claim",
    error=VolunteeringError,
    bad_state=BAD_STATE,
    related=("record__activity", "rule"),
)
stars = Transitions(StarAward, StarEvent, "award", error=VolunteeringError, bad_state=BAD_STATE)


def activity_event(
    activity: Activity, action: str, *, actor: Actor | None, now: dt.datetime | None = None
) -> ActivityEvent:
    """An activity has no states: its history rows only say who did what."""
    return ActivityEvent.objects.create(
        activity=activity, at=now_or(now), actor=acting_user(actor), action=action
    )


def _check_minutes(minutes: object) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_MINUTES:
        raise VolunteeringError(
            "invalid_minutes",
            _("Minutes served must be a whole number from 1 to %(max)d.") % {"max": MAX_MINUTES},
        )
    return minutes


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise VolunteeringError("reason_required", _("Give a reason."))
    return reason[:200]


def _person_fields(participant: Partner | Resident) -> dict:
    """One person per record: a partner linked to a resident is recorded as that resident."""
    if isinstance(participant, Partner):
        if participant.resident_id:
            return {"resident_id": participant.resident_id, "partner": participant}
        return {"resident": None, "partner": participant}
    if isinstance(participant, Resident):
        return {"resident": participant, "partner": None}
    raise VolunteeringError("invalid_participant", _("A participant is a resident or a partner."))


def _person(participant: Partner | Resident) -> Partner | Resident:
    if isinstance(participant, Partner) and participant.resident is not None:
        return participant.resident
    return participant


def _person_community_id(participant: Partner | Resident) -> int:
    if isinstance(participant, Partner):
        return participant.community_id
    return participant.household.unit.building.compound.community_id

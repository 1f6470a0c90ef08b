"""What every part of the meetings services shares: the error, the scope of a meeting."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from gongzhi.core.services import ServiceError, locked
from gongzhi.matters.place import resolve_place
from gongzhi.meetings import rules
from gongzhi.meetings.models import (
    Meeting,
    MeetingStatus,
    Venue,
)
from gongzhi.places.models import Building, Community, Compound

GENERATE_WEEKS = 8
# What the type-ahead picker (gongzhi.pickers) offers when inviting: people and bodies, and
# groups (a team's members, a building's partners) that expand to partners. Action-item owners:
# ``selectors.OWNER_KINDS``.
INVITEE_KINDS = ("partner", "user", "resident", "organisation", "team_members", "building_partners")


class MeetingError(ServiceError):
    """A refused write (``core.services.ServiceError``): 403 ``forbidden``, 409 the state
    conflicts below, 400 the rest."""

    statuses = {
        code: 409
        for code in (
            "meeting_closed",
            "not_in_session",
            "venue_taken",
            "already_voted",
            "item_decided",
            "already_corrected",
            "already_invited",
        )
    }


def _forbidden() -> MeetingError:
    return MeetingError("forbidden", _("You may not do this with this meeting."))


def _link(meeting: Meeting) -> str:
    return f"/meetings/{meeting.pk}/"


# ---- scope -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    community: Community
    compound: Compound | None = None
    building: Building | None = None

    @classmethod
    def of(cls, place) -> "Scope":
        """The scope of a community, compound or building (``matters.place.resolve_place``,
        the one resolver of place columns)."""
        level = {Building: "building", Compound: "compound", Community: "community"}.get(
            type(place)
        )
        if level is None:
            raise MeetingError(
                "bad_scope", _("A meeting is held for a community, compound or building.")
            )
        columns = resolve_place(**{level: place})
        return cls(columns["community"], columns["compound"], columns["building"])

    @property
    def place(self):
        return self.building or self.compound or self.community

    def fields(self) -> dict:
        return {"community": self.community, "compound": self.compound, "building": self.building}


def _check_venue_scope(venue: Venue, scope: Scope) -> None:
    if venue.community_id != scope.community.pk:
        raise MeetingError("bad_venue", _("Choose a venue of the meeting's community."))


def _in_session(meeting: Meeting) -> None:
    _not_closed(meeting)
    if meeting.status != MeetingStatus.IN_SESSION:
        raise MeetingError("not_in_session", _("Open the meeting first."))


def _not_closed(meeting: Meeting) -> None:
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED):
        raise MeetingError(
            "meeting_closed",
            _("The meeting is %(status)s; its record can no longer change.")
            % {"status": meeting.get_status_display()},
        )


def _manage(actor, meeting: Meeting) -> Meeting:
    meeting = locked(meeting)
    if not rules.can_manage(actor, meeting):
        raise _forbidden()
    return meeting


def scheduled_meeting(item) -> Meeting:
    """The meeting an agenda item is on; refuses an item still waiting in the queue."""
    if item.meeting is None:
        raise MeetingError("not_scheduled", _("The item is not on a meeting's agenda yet."))
    return item.meeting

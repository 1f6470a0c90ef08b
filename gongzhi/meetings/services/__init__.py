"""Every write to meetings, one function per action (docs/meetings.md), by sub-domain:
venues, series, meetings (and their participants), agenda, decisions (votes, decisions,
action items). Refused writes are ``MeetingError`` (a ``core.services.ServiceError``);
every function is atomic, so a refused action changes nothing. The matter loop runs
through the matters services, never by writing matters directly. Import from here:
the modules import each other one way (base <- venues <- series <- …), never this file.
"""

from gongzhi.meetings.services._base import (
    GENERATE_WEEKS,
    INVITEE_KINDS,
    MeetingError,
    Scope,
)
from gongzhi.meetings.services.agenda import (
    agenda_accept,
    agenda_move,
    agenda_propose,
    agenda_propose_for_matter,
    agenda_update,
    next_meeting_for,
)
from gongzhi.meetings.services.decisions import (
    ActionSpec,
    action_item_add,
    action_item_complete,
    decision_correct,
    decision_record,
    majority_reached,
    quorum_needed,
    vote_cast,
    voters,
)
from gongzhi.meetings.services.meetings import (
    Invited,
    meeting_attendance,
    meeting_cancel,
    meeting_close,
    meeting_create,
    meeting_invite_many,
    meeting_open,
    meeting_set_roles,
    participant_attend,
    participant_invite,
    participant_reply,
)
from gongzhi.meetings.services.series import (
    Generated,
    meetings_generate,
    series_create,
)
from gongzhi.meetings.services.venues import (
    holiday_calendar,
    venue_create,
)

__all__ = [
    "ActionSpec",
    "GENERATE_WEEKS",
    "Generated",
    "INVITEE_KINDS",
    "Invited",
    "MeetingError",
    "Scope",
    "action_item_add",
    "action_item_complete",
    "agenda_accept",
    "agenda_move",
    "agenda_propose",
    "agenda_propose_for_matter",
    "agenda_update",
    "decision_correct",
    "decision_record",
    "holiday_calendar",
    "majority_reached",
    "meeting_attendance",
    "meeting_cancel",
    "meeting_close",
    "meeting_create",
    "meeting_invite_many",
    "meeting_open",
    "meeting_set_roles",
    "meetings_generate",
    "next_meeting_for",
    "participant_attend",
    "participant_invite",
    "participant_reply",
    "quorum_needed",
    "series_create",
    "venue_create",
    "vote_cast",
    "voters",
]

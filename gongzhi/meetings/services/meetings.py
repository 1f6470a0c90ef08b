"""One meeting: creating it, its roles, opening, cancelling and closing it; invitations, replies and attendance."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.services import acting_user, locked, now_or
from gongzhi.matters.models import Status as MatterStatus
from gongzhi.meetings import rules
from gongzhi.meetings.models import (
    ItemStatus,
    Majority,
    Meeting,
    MeetingStatus,
    OutsiderRole,
    Participant,
    ParticipantKind,
    Reply,
    Venue,
)
from gongzhi.meetings.services._base import (
    MeetingError,
    Scope,
    _check_venue_scope,
    _forbidden,
    _in_session,
    _link,
    _manage,
    _not_closed,
)
from gongzhi.meetings.services.agenda import _attach_queue, _propose_matter
from gongzhi.meetings.services.venues import _check_venue_free, _lock_venue
from gongzhi.notifications.services import notify_users
from gongzhi.partners.models import Organisation, Partner
from gongzhi.people.models import Resident
from gongzhi.pickers.selectors import user_label


@transaction.atomic
def meeting_create(
    *,
    actor,
    title: str,
    place,
    starts_at: dt.datetime,
    minutes: int = 90,
    venue: Venue | None = None,
    majority: str = Majority.SIMPLE,
    quorum_share: float = 0.5,
    quorum_count: int | None = None,
    now=None,
) -> Meeting:
    """An ad hoc meeting (series meetings come from ``meetings_generate``)."""
    now = now_or(now)
    scope = Scope.of(place)
    if not rules.can_manage_scope(actor, scope.place):
        raise _forbidden()
    title = title.strip()
    if not title:
        raise MeetingError("title_required", _("Give the meeting a title."))
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    if starts_at <= now:
        raise MeetingError("in_the_past", _("A new meeting cannot start in the past."))
    if not 10 <= minutes <= 480:
        raise MeetingError("bad_duration", _("A meeting lasts 10 to 480 minutes."))
    if majority not in Majority.values:
        raise MeetingError("bad_majority", _("Choose a simple or a two-thirds majority."))
    if not 0 <= quorum_share <= 1:
        raise MeetingError("bad_quorum", _("The quorum is a share between 0 and 1."))
    ends_at = starts_at + dt.timedelta(minutes=minutes)
    if venue is not None:
        _check_venue_scope(venue, scope)
        venue = _lock_venue(venue)
        _check_venue_free(venue, starts_at, ends_at)
    meeting = Meeting.objects.create(
        title=title[:80],
        venue=venue,
        starts_at=starts_at,
        ends_at=ends_at,
        convenor=acting_user(actor),
        majority=majority,
        quorum_share=quorum_share,
        quorum_count=quorum_count,
        **scope.fields(),
    )
    _attach_queue(meeting, now=now)
    return meeting


@transaction.atomic
def meeting_set_roles(*, actor, meeting: Meeting, convenor=None, recorder=None) -> Meeting:
    """Who convenes (召集) and who records (记录) the meeting: staff who may run it. ``None``
    leaves a role as it is."""
    meeting = _manage(actor, meeting)
    _not_closed(meeting)
    fields = []
    for field, person in (("convenor", convenor), ("recorder", recorder)):
        if person is None:
            continue
        if not rules.can_manage(person, meeting):
            raise MeetingError(
                "bad_participant",
                _("%(name)s does not run meetings of this community.")
                % {"name": user_label(person)},
            )
        setattr(meeting, field, person)
        fields.append(field)
    if fields:
        meeting.save(update_fields=fields)
    return meeting


@transaction.atomic
def meeting_open(*, actor, meeting: Meeting, now=None) -> Meeting:
    meeting = _manage(actor, meeting)
    if meeting.status != MeetingStatus.PLANNED:
        raise MeetingError("bad_state", _("Only a planned meeting can be opened."))
    meeting.status, meeting.opened_at = MeetingStatus.IN_SESSION, now_or(now)
    if meeting.recorder_id is None:
        meeting.recorder = actor
    meeting.save(update_fields=["status", "opened_at", "recorder"])
    return meeting


@transaction.atomic
def meeting_cancel(*, actor, meeting: Meeting) -> Meeting:
    meeting = _manage(actor, meeting)
    if meeting.status != MeetingStatus.PLANNED:
        raise MeetingError("bad_state", _("Only a planned meeting can be cancelled."))
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status"])
    # Items from matters go back to the queue, to be attached to the next meeting.
    for item in meeting.items.filter(status__in=(ItemStatus.PROPOSED, ItemStatus.SCHEDULED)):
        item.meeting, item.status = None, ItemStatus.PROPOSED
        item.save(update_fields=["meeting", "status"])
    return meeting


@transaction.atomic
def meeting_close(*, actor, meeting: Meeting, now=None) -> Meeting:
    """Close the meeting: its decisions are published and frozen. Items left undecided are
    deferred; those from matters are proposed again to the next meeting of their scope."""
    meeting = _manage(actor, meeting)
    _in_session(meeting)
    now = now_or(now)
    meeting.status, meeting.closed_at = MeetingStatus.CLOSED, now
    meeting.save(update_fields=["status", "closed_at"])
    for item in meeting.items.exclude(status=ItemStatus.DECIDED):
        item.status = ItemStatus.DEFERRED
        item.save(update_fields=["status"])
        if item.matter is not None and item.matter.status == MatterStatus.DELIBERATING:
            _propose_matter(item.matter, actor=actor, now=now)
    return meeting


# ---- participants ---------------------------------------------------------------------------


def _user_of(participant: Participant):
    if participant.user_id:
        return participant.user
    users = get_user_model().objects
    if participant.partner_id:
        return users.filter(profile__partner_id=participant.partner_id).first()
    if participant.resident_id:
        return users.filter(profile__resident_id=participant.resident_id).first()
    return None


def _invitee(meeting: Meeting, obj) -> tuple[str, str, dict]:
    """(kind, name, foreign key) of a partner, resident, organisation or staff user invited to
    ``meeting``; refused for anyone outside the meeting's community."""
    if isinstance(obj, Partner):
        kind, field = ParticipantKind.PARTNER, "partner"
        same_community = obj.community_id == meeting.community_id
    elif isinstance(obj, Resident):
        kind, field = ParticipantKind.RESIDENT, "resident"
        same_community = obj.household.unit.building.compound.community_id == (meeting.community_id)
    elif isinstance(obj, Organisation):
        kind, field = ParticipantKind.ORGANISATION, "organisation"
        same_community = obj.subdistrict_id == meeting.community.subdistrict_id
    elif isinstance(obj, get_user_model()):
        kind, field = ParticipantKind.STAFF, "user"
        same_community = rules.can_manage(obj, meeting)
    else:
        raise MeetingError("bad_participant", _("Choose whom to invite."))
    name = user_label(obj) if field == "user" else obj.name
    if not same_community:
        raise MeetingError(
            "bad_participant",
            _("%(name)s is not of the meeting's community; invite people of its community.")
            % {"name": name},
        )
    return kind, name, {field: obj}


def _invitation_title(meeting: Meeting) -> str:
    return _("You are invited: %(title)s, %(time)s") % {
        "title": meeting.title,
        "time": timezone.localtime(meeting.starts_at).strftime("%m-%d %H:%M"),
    }


@transaction.atomic
def participant_invite(
    *,
    actor,
    meeting: Meeting,
    partner: Partner | None = None,
    resident: Resident | None = None,
    organisation: Organisation | None = None,
    user=None,
    name: str = "",
    outsider_role: str = "",
    is_voter: bool = False,
) -> Participant:
    """Invite one person or body; exactly one of partner, resident, organisation, staff user,
    or a named outside guest with a role. Invitees with an account are notified."""
    meeting = _manage(actor, meeting)
    _not_closed(meeting)
    given = [x for x in (partner, resident, organisation, user) if x is not None]
    if len(given) > 1:
        raise MeetingError("bad_participant", _("Invite one person or organisation at a time."))
    if given:
        kind, name, link = _invitee(meeting, given[0])
    else:
        name = name.strip()
        if not name or outsider_role not in OutsiderRole.values:
            raise MeetingError("bad_participant", _("Give the guest's name and what they come as."))
        kind, link = ParticipantKind.OUTSIDER, {}
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                meeting=meeting,
                kind=kind,
                name=name[:60],
                outsider_role=outsider_role if kind == ParticipantKind.OUTSIDER else "",
                is_voter=is_voter,
                **link,
            )
    except IntegrityError:
        raise MeetingError(
            "already_invited", _("%(name)s is already invited.") % {"name": name}
        ) from None
    notify_users(
        users=[_user_of(participant)],
        kind="meeting_invitation",
        title=_invitation_title(meeting),
        link=_link(meeting),
    )
    return participant


@dataclass
class Invited:
    created: list[Participant]
    skipped: list[Participant]  # already invited before


@transaction.atomic
def meeting_invite_many(
    *, actor, meeting: Meeting, people: list, is_voter: bool = False
) -> Invited:
    """Invite many partners, residents, organisations or staff users at once (a whole team or
    a building's partners, as the picker resolves them). All or nothing: anyone outside the
    meeting's community refuses the whole batch; people already invited are skipped (and
    returned as ``skipped``), duplicates in ``people`` count once. Invitees with an account
    are notified, in one batch."""
    meeting = _manage(actor, meeting)
    _not_closed(meeting)
    if not people:
        raise MeetingError("bad_participant", _("Choose whom to invite."))
    wanted: dict[tuple[str, int], tuple[str, str, dict]] = {}
    for obj in people:
        kind, name, link = _invitee(meeting, obj)
        ((field, target),) = link.items()
        wanted.setdefault((field, target.pk), (kind, name, link))
    existing: dict[tuple[str, int], Participant] = {}
    for field in ("partner", "resident", "organisation", "user"):
        ids = [pk for f, pk in wanted if f == field]
        if ids:
            rows = meeting.participants.filter(**{f"{field}_id__in": ids})
            existing |= {(field, getattr(row, f"{field}_id")): row for row in rows}
    new = [
        Participant(
            meeting=meeting,
            kind=kind,
            name=name[:60],
            is_voter=is_voter,
            **link,
        )
        for key, (kind, name, link) in wanted.items()
        if key not in existing
    ]
    try:
        with transaction.atomic():
            Participant.objects.bulk_create(new)
    except IntegrityError:
        # Someone invited one of them meanwhile: nothing of this batch is written.
        raise MeetingError(
            "already_invited", _("Someone was invited meanwhile; please try again.")
        ) from None
    notify_users(
        users=_users_of(new),
        kind="meeting_invitation",
        title=_invitation_title(meeting),
        link=_link(meeting),
    )
    return Invited(created=new, skipped=list(existing.values()))


def _users_of(participants: list[Participant]) -> list:
    """The accounts of ``participants`` (as ``_user_of``, in two queries for any number)."""
    users = [p.user for p in participants if p.user_id]
    partners = {p.partner_id for p in participants if p.partner_id}
    residents = {p.resident_id for p in participants if p.resident_id}
    if partners or residents:
        users += get_user_model().objects.filter(
            Q(profile__partner_id__in=partners) | Q(profile__resident_id__in=residents)
        )
    return users


@transaction.atomic
def participant_reply(*, actor, participant: Participant, reply: str) -> Participant:
    meeting = locked(participant.meeting)
    if not (rules.is_participant_self(actor, participant) or rules.can_manage(actor, meeting)):
        raise _forbidden()
    _not_closed(meeting)
    if reply not in Reply.values or reply == Reply.PENDING:
        raise MeetingError("bad_reply", _("Answer that you will attend or cannot attend."))
    participant.reply = reply
    participant.save(update_fields=["reply"])
    return participant


@transaction.atomic
def participant_attend(*, actor, participant: Participant, attended: bool = True) -> Participant:
    meeting = _manage(actor, participant.meeting)
    _not_closed(meeting)
    participant.attended = attended
    participant.save(update_fields=["attended"])
    return participant


@transaction.atomic
def meeting_attendance(
    *, actor, meeting: Meeting, present: list[int], among: list[int] | None = None
) -> int:
    """A roll call: of the participants ``among`` (ids; everyone invited when ``None``), mark
    exactly those in ``present`` as present and the others as absent, in one step (全部到会 is
    every id). Returns how many of ``among`` are present. An id that is not a participant of
    this meeting, or present but not among those called, refuses the whole roll call."""
    meeting = _manage(actor, meeting)
    _not_closed(meeting)
    present_ids = set(present)
    called = meeting.participants.all()
    if among is not None:
        called = called.filter(pk__in=set(among))
    known = set(called.filter(pk__in=present_ids).values_list("pk", flat=True))
    if present_ids - known:
        raise MeetingError(
            "not_a_participant", _("Mark only people invited to this meeting as present.")
        )
    called.filter(pk__in=present_ids, attended=False).update(attended=True)
    called.exclude(pk__in=present_ids).filter(attended=True).update(attended=False)
    return len(present_ids)

"""Every write to meetings: one function per action (see docs/meetings.md).

Errors are ``MeetingError`` with a stable ``code`` (the API's error code) and a translated
message; every function is atomic, so a refused action changes nothing. The matter loop runs
through the matters services (``matter_start``, ``matter_complete``), never by writing
matters directly.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.services import ServiceError, locked, now_or
from gongzhi.matters.models import Matter
from gongzhi.matters.models import Status as MatterStatus
from gongzhi.matters.place import resolve_place
from gongzhi.matters.services import matter_complete, matter_start
from gongzhi.meetings import recurrence, rules
from gongzhi.meetings.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Decision,
    HolidayPolicy,
    ItemSource,
    ItemStatus,
    Majority,
    Meeting,
    MeetingStatus,
    Method,
    Outcome,
    OutsiderRole,
    Participant,
    ParticipantKind,
    PublicHoliday,
    Reply,
    Rule,
    Series,
    Venue,
    Vote,
    VoteChoice,
)
from gongzhi.notifications.services import notify_users
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.people.models import Resident
from gongzhi.pickers.selectors import user_label
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


# ---- holidays and venues ---------------------------------------------------------------------


def holiday_calendar(start: dt.date, end: dt.date) -> recurrence.HolidayCalendar:
    """The listed holidays and 调休 working days around ``start``–``end`` (with a margin for
    moves past the end)."""
    rows = PublicHoliday.objects.filter(
        date__gte=start, date__lte=end + dt.timedelta(days=31)
    ).values_list("date", "is_workday")
    return recurrence.HolidayCalendar(
        holidays=frozenset(day for day, workday in rows if not workday),
        workdays=frozenset(day for day, workday in rows if workday),
    )


@transaction.atomic
def venue_create(
    *,
    actor,
    community: Community,
    name: str,
    compound: Compound | None = None,
    address: str = "",
    capacity: int | None = None,
) -> Venue:
    place = compound or community
    if not rules.can_manage_scope(actor, place):
        raise _forbidden()
    name = name.strip()
    if not name:
        raise MeetingError("name_required", _("Give the venue a name."))
    if compound is not None and compound.community_id != community.pk:
        raise MeetingError("bad_scope", _("The compound is not in this community."))
    if Venue.objects.filter(community=community, name=name).exists():
        raise MeetingError("duplicate", _("This community already has a venue of that name."))
    return Venue.objects.create(
        community=community,
        compound=compound,
        name=name[:60],
        address=address[:120],
        capacity=capacity,
    )


def _lock_venue(venue: Venue) -> Venue:
    """Meetings at one venue are checked for overlaps under this row lock, so two concurrent
    bookings queue instead of both passing the check (SQLite serialises writers anyway)."""
    return Venue.objects.select_for_update().get(pk=venue.pk)


def _overlapping(venue: Venue, starts_at, ends_at, exclude_pk=None):
    qs = Meeting.objects.filter(venue=venue, starts_at__lt=ends_at, ends_at__gt=starts_at).exclude(
        status=MeetingStatus.CANCELLED
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def _check_venue_free(venue: Venue, starts_at, ends_at) -> None:
    other = _overlapping(venue, starts_at, ends_at)
    if other is not None:
        raise MeetingError(
            "venue_taken",
            _("%(venue)s is taken by “%(title)s” at %(time)s.")
            % {
                "venue": venue.name,
                "title": other.title,
                "time": timezone.localtime(other.starts_at).strftime("%Y-%m-%d %H:%M"),
            },
        )


# ---- series and generation ------------------------------------------------------------------


@transaction.atomic
def series_create(
    *,
    actor,
    name: str,
    venue: Venue,
    rule: str,
    starts_on: dt.date,
    start_time: dt.time,
    place=None,
    weekday: int | None = None,
    day_of_month: int | None = None,
    holiday_policy: str = HolidayPolicy.NEXT_WORKDAY,
    ends_on: dt.date | None = None,
    duration_minutes: int = 90,
    weeks_ahead: int = GENERATE_WEEKS,
    now=None,
) -> Series:
    """A new series, with its meetings for the next ``weeks_ahead`` weeks generated."""
    now = now_or(now)
    scope = Scope.of(place or venue.compound or venue.community)
    if not rules.can_manage_scope(actor, scope.place):
        raise _forbidden()
    _check_venue_scope(venue, scope)
    name = name.strip()
    if not name:
        raise MeetingError("name_required", _("Give the series a name."))
    if rule not in Rule.values:
        raise MeetingError("bad_rule", _("Choose weekly, 4th/14th/24th, monthly or ad hoc."))
    if holiday_policy not in HolidayPolicy.values:
        raise MeetingError("bad_policy", _("Choose keep, skip or move to the next working day."))
    if rule == Rule.WEEKLY and (weekday is None or not 0 <= weekday <= 6):
        raise MeetingError("bad_rule", _("A weekly series needs a weekday."))
    if rule == Rule.MONTHLY and (day_of_month is None or not 1 <= day_of_month <= 31):
        raise MeetingError("bad_rule", _("A monthly series needs a day of the month, 1–31."))
    if starts_on < timezone.localdate(now):
        raise MeetingError("in_the_past", _("A new series cannot start in the past."))
    if ends_on is not None and ends_on < starts_on:
        raise MeetingError("bad_dates", _("The last day is before the first day."))
    if not 10 <= duration_minutes <= 480:
        raise MeetingError("bad_duration", _("A meeting lasts 10 to 480 minutes."))
    series = Series.objects.create(
        name=name[:60],
        venue=venue,
        rule=rule,
        weekday=weekday if rule == Rule.WEEKLY else None,
        day_of_month=day_of_month if rule == Rule.MONTHLY else None,
        holiday_policy=holiday_policy,
        starts_on=starts_on,
        ends_on=ends_on,
        start_time=start_time,
        duration_minutes=duration_minutes,
        convenor=actor if getattr(actor, "pk", None) else None,
        **scope.fields(),
    )
    meetings_generate(series=series, weeks=weeks_ahead, now=now)
    return series


@dataclass
class Generated:
    created: list[Meeting]
    conflicts: list[tuple[dt.date, Meeting]]  # the venue was taken by this meeting


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


@transaction.atomic
def meetings_generate(*, series: Series, weeks: int = GENERATE_WEEKS, now=None) -> Generated:
    """Create the series' meetings from today to ``weeks`` weeks ahead. Idempotent: a rule date
    that already has a meeting (unique on series + rule date) is left alone, and so is one whose
    venue is taken (reported as a conflict)."""
    now = now_or(now)
    result = Generated([], [])
    if not series.active or series.rule == Rule.AD_HOC:
        return result
    today = timezone.localdate(now)
    start = max(series.starts_on, today)
    end = today + dt.timedelta(weeks=weeks)
    if series.ends_on is not None:
        end = min(end, series.ends_on)
    found = recurrence.occurrences(
        series.rule,
        start,
        end,
        weekday=series.weekday,
        day_of_month=series.day_of_month,
        policy=series.holiday_policy,
        holidays=holiday_calendar(start, end),
    )
    venue = _lock_venue(series.venue)
    existing = set(series.meetings.values_list("rule_date", flat=True))
    for occurrence in found:
        if occurrence.rule_date in existing:
            continue
        starts_at = _aware(occurrence.date, series.start_time)
        if starts_at <= now:
            continue
        ends_at = starts_at + dt.timedelta(minutes=series.duration_minutes)
        other = _overlapping(venue, starts_at, ends_at)
        if other is not None:
            result.conflicts.append((occurrence.date, other))
            continue
        meeting = Meeting.objects.create(
            title=series.name,
            series=series,
            rule_date=occurrence.rule_date,
            venue=venue,
            starts_at=starts_at,
            ends_at=ends_at,
            convenor=series.convenor,
            community_id=series.community_id,
            compound_id=series.compound_id,
            building_id=series.building_id,
        )
        result.created.append(meeting)
    for meeting in result.created:
        _attach_queue(meeting, now=now)
    return result


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
        convenor=actor if getattr(actor, "pk", None) else None,
        majority=majority,
        quorum_share=quorum_share,
        quorum_count=quorum_count,
        **scope.fields(),
    )
    _attach_queue(meeting, now=now)
    return meeting


def _manage(actor, meeting: Meeting) -> Meeting:
    meeting = locked(meeting)
    if not rules.can_manage(actor, meeting):
        raise _forbidden()
    return meeting


def _not_closed(meeting: Meeting) -> None:
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED):
        raise MeetingError(
            "meeting_closed",
            _("The meeting is %(status)s; its record can no longer change.")
            % {"status": meeting.get_status_display()},
        )


def _in_session(meeting: Meeting) -> None:
    _not_closed(meeting)
    if meeting.status != MeetingStatus.IN_SESSION:
        raise MeetingError("not_in_session", _("Open the meeting first."))


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
        if item.matter_id and item.matter.status == MatterStatus.DELIBERATING:
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
    present = set(present)
    called = meeting.participants.all()
    if among is not None:
        called = called.filter(pk__in=set(among))
    known = set(called.filter(pk__in=present).values_list("pk", flat=True))
    if present - known:
        raise MeetingError(
            "not_a_participant", _("Mark only people invited to this meeting as present.")
        )
    called.filter(pk__in=present, attended=False).update(attended=True)
    called.exclude(pk__in=present).filter(attended=True).update(attended=False)
    return len(present)


# ---- agenda -----------------------------------------------------------------------------------


def _contains_q(matter: Matter) -> Q:
    """Meetings whose scope holds the matter's place: the matter's building, its compound, or
    its community (a community meeting holds every compound and building)."""
    q = Q(community_id=matter.community_id, compound__isnull=True)
    if matter.compound_id:
        q |= Q(compound_id=matter.compound_id, building__isnull=True)
    if matter.building_id:
        q |= Q(building_id=matter.building_id)
    return q


def next_meeting_for(matter: Matter, *, now=None) -> Meeting | None:
    """The next planned meeting of the right scope: a meeting of the matter's building if one
    is planned, else of its compound, else of its community (earliest first at each level)."""
    upcoming = Meeting.objects.upcoming(now_or(now)).filter(_contains_q(matter))
    levels = []
    if matter.building_id:
        levels.append(Q(building_id=matter.building_id))
    if matter.compound_id:
        levels.append(Q(compound_id=matter.compound_id, building__isnull=True))
    levels.append(Q(compound__isnull=True))
    for level in levels:
        meeting = upcoming.filter(level).order_by("starts_at", "id").first()
        if meeting is not None:
            return meeting
    return None


def _next_position(meeting: Meeting) -> int:
    last = meeting.items.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


def _propose_matter(matter: Matter, *, actor, now=None) -> AgendaItem:
    meeting = next_meeting_for(matter, now=now)
    item = AgendaItem(
        source=ItemSource.MATTER,
        matter=matter,
        title=matter.text[:120],
        description=matter.text,
        proposed_by=actor if getattr(actor, "pk", None) else None,
        community_id=matter.community_id,
        compound_id=matter.compound_id,
        building_id=matter.building_id,
    )
    if meeting is not None:
        item.meeting, item.status, item.position = (
            meeting,
            ItemStatus.SCHEDULED,
            _next_position(meeting),
        )
    item.save()
    return item


@transaction.atomic
def agenda_propose_for_matter(*, actor, matter: Matter, now=None) -> AgendaItem:
    """Called by ``matter_deliberate``: the matter joins the agenda of the next meeting of its
    scope, or waits in the queue until such a meeting is created or generated."""
    open_item = matter.agenda_items.filter(
        status__in=(ItemStatus.PROPOSED, ItemStatus.SCHEDULED)
    ).first()
    if open_item is not None:
        return open_item
    return _propose_matter(matter, actor=actor, now=now)


def _attach_queue(meeting: Meeting, *, now=None) -> list[AgendaItem]:
    """Queued matter items whose place lies in the new meeting's scope join its agenda, unless
    a narrower planned meeting (``next_meeting_for``) is a better home."""
    attached = []
    queue = AgendaItem.objects.filter(meeting__isnull=True, status=ItemStatus.PROPOSED).filter(
        community_id=meeting.community_id
    )
    if meeting.compound_id:
        queue = queue.filter(compound_id=meeting.compound_id)
    if meeting.building_id:
        queue = queue.filter(building_id=meeting.building_id)
    for item in queue.select_related("matter").order_by("created_at", "id"):
        if item.matter_id and next_meeting_for(item.matter, now=now) != meeting:
            continue
        item.meeting, item.status = meeting, ItemStatus.SCHEDULED
        item.position = _next_position(meeting)
        item.save(update_fields=["meeting", "status", "position"])
        attached.append(item)
    return attached


@transaction.atomic
def agenda_propose(
    *, actor, meeting: Meeting, title: str, description: str = "", minutes: int = 15
) -> AgendaItem:
    """An item raised by staff (on the agenda at once) or by a resident or partner (a proposal
    staff accept)."""
    meeting = locked(meeting)
    if not rules.can_propose(actor, meeting):
        raise _forbidden()
    _not_closed(meeting)
    title = title.strip()
    if not title:
        raise MeetingError("title_required", _("Say what the item is about."))
    if not 1 <= minutes <= 240:
        raise MeetingError("bad_minutes", _("An item's time box is 1 to 240 minutes."))
    staff = rules.can_manage(actor, meeting)
    return AgendaItem.objects.create(
        meeting=meeting,
        source=ItemSource.STAFF if staff else ItemSource.RESIDENT,
        title=title[:120],
        description=description[:2000],
        proposed_by=actor,
        minutes=minutes,
        status=ItemStatus.SCHEDULED if staff else ItemStatus.PROPOSED,
        position=_next_position(meeting),
        community_id=meeting.community_id,
        compound_id=meeting.compound_id,
        building_id=meeting.building_id,
    )


def _item_for_manager(actor, item: AgendaItem) -> tuple[AgendaItem, Meeting]:
    if item.meeting_id is None:
        raise MeetingError("not_scheduled", _("The item is not on a meeting's agenda yet."))
    meeting = _manage(actor, item.meeting)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    return item, meeting


@transaction.atomic
def agenda_accept(*, actor, item: AgendaItem) -> AgendaItem:
    item, meeting = _item_for_manager(actor, item)
    _not_closed(meeting)
    if item.status != ItemStatus.PROPOSED:
        raise MeetingError("bad_state", _("Only a proposal can be put on the agenda."))
    item.status = ItemStatus.SCHEDULED
    item.save(update_fields=["status"])
    _tell_proposer(item, meeting, _("Your proposal is on the agenda of %(meeting)s: %(title)s"))
    return item


def _tell_proposer(item: AgendaItem, meeting: Meeting, title: str) -> None:
    if item.proposed_by_id:
        notify_users(
            users=[item.proposed_by],
            kind="agenda_proposal",
            title=title % {"meeting": meeting.title, "title": item.title},
            link=_link(meeting),
        )


@transaction.atomic
def agenda_update(
    *,
    actor,
    item: AgendaItem,
    notes: str | None = None,
    options: str | None = None,
    minutes: int | None = None,
) -> AgendaItem:
    """Discussion notes, options and the time box, until the meeting is closed."""
    item, meeting = _item_for_manager(actor, item)
    _not_closed(meeting)
    fields = []
    if notes is not None:
        item.notes = notes[:5000]
        fields.append("notes")
    if options is not None:
        item.options = options[:2000]
        fields.append("options")
    if minutes is not None:
        if not 1 <= minutes <= 240:
            raise MeetingError("bad_minutes", _("An item's time box is 1 to 240 minutes."))
        item.minutes = minutes
        fields.append("minutes")
    item.save(update_fields=fields)
    return item


@transaction.atomic
def agenda_move(*, actor, item: AgendaItem, by: int) -> AgendaItem:
    """Move the item up (``by`` < 0) or down the agenda, renumbering 1…n."""
    item, meeting = _item_for_manager(actor, item)
    _not_closed(meeting)
    items = list(meeting.items.order_by("position", "id"))
    index = next(i for i, row in enumerate(items) if row.pk == item.pk)
    target = max(0, min(len(items) - 1, index + by))
    items.insert(target, items.pop(index))
    for position, row in enumerate(items, start=1):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])
    return next(row for row in items if row.pk == item.pk)


# ---- votes and decisions --------------------------------------------------------------------


def voters(meeting: Meeting):
    return meeting.participants.filter(is_voter=True)


def quorum_needed(meeting: Meeting, voters_total: int) -> int:
    """Voters who must be present: the share of all voters (rounded up) and at least
    ``quorum_count`` if set."""
    needed = math.ceil(meeting.quorum_share * voters_total - 1e-9)
    return max(needed, meeting.quorum_count or 0)


def majority_reached(majority: str, *, yes: int, no: int, abstain: int) -> bool:
    """Simple: more for than against (abstentions count for neither side). Two-thirds: for is
    at least two thirds of all votes cast, abstentions included (so an abstention works like a
    vote against). No votes at all never carries a motion."""
    if majority == Majority.TWO_THIRDS:
        cast = yes + no + abstain
        return cast > 0 and 3 * yes >= 2 * cast
    return yes > no


@transaction.atomic
def vote_cast(*, actor, item: AgendaItem, participant: Participant, choice: str, now=None) -> Vote:
    if item.meeting_id is None:
        raise MeetingError("not_scheduled", _("The item is not on a meeting's agenda yet."))
    meeting = locked(item.meeting)
    if not (rules.can_manage(actor, meeting) or rules.is_participant_self(actor, participant)):
        raise _forbidden()
    _in_session(meeting)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ItemStatus.SCHEDULED:
        raise MeetingError("item_decided", _("Voting on this item is over."))
    if participant.meeting_id != meeting.pk or not participant.is_voter:
        raise MeetingError(
            "not_a_voter", _("%(name)s may not vote in this meeting.") % {"name": participant.name}
        )
    if not participant.attended:
        raise MeetingError(
            "not_present", _("%(name)s is not marked present.") % {"name": participant.name}
        )
    if choice not in VoteChoice.values:
        raise MeetingError("bad_choice", _("Vote for, against or abstain."))
    if Vote.objects.filter(item=item, participant=participant).exists():
        raise MeetingError(
            "already_voted",
            _("%(name)s has already voted on this item.") % {"name": participant.name},
        )
    try:
        with transaction.atomic():
            return Vote.objects.create(
                item=item,
                participant=participant,
                choice=choice,
                recorded_by=actor,
                at=now_or(now),
            )
    except IntegrityError:
        raise MeetingError(
            "already_voted",
            _("%(name)s has already voted on this item.") % {"name": participant.name},
        ) from None


@dataclass(frozen=True)
class ActionSpec:
    title: str
    due_on: dt.date | None
    partner: Partner | None = None
    team: Team | None = None
    organisation: Organisation | None = None


def _check_action(spec: ActionSpec, meeting: Meeting) -> None:
    owners = [x for x in (spec.partner, spec.team, spec.organisation) if x is not None]
    if not spec.title.strip():
        raise MeetingError("task_required", _("Say what has to be done."))
    if len(owners) != 1:
        raise MeetingError("owner_required", _("Every action item needs exactly one owner."))
    if spec.due_on is None:
        raise MeetingError("deadline_required", _("Every action item needs a deadline."))
    if spec.due_on < timezone.localdate(meeting.starts_at):
        raise MeetingError("bad_deadline", _("The deadline is before the meeting."))


def _create_action(decision: Decision, spec: ActionSpec) -> ActionItem:
    return ActionItem.objects.create(
        decision=decision,
        title=spec.title.strip()[:200],
        due_on=spec.due_on,
        partner=spec.partner,
        team=spec.team,
        organisation=spec.organisation,
    )


@transaction.atomic
def decision_record(
    *,
    actor,
    item: AgendaItem,
    method: str,
    text: str,
    actions: list[ActionSpec] = (),
    now=None,
) -> Decision:
    """Decide an item by vote (counted from the recorded votes) or by consensus, with its action
    items. An adopted decision with action items on a matter's item starts the matter."""
    item, meeting = _item_for_manager(actor, item)
    _in_session(meeting)
    now = now_or(now)
    if item.status != ItemStatus.SCHEDULED:
        raise MeetingError("item_decided", _("This item is decided or not on the agenda."))
    text = text.strip()
    if not text:
        raise MeetingError("text_required", _("Write down what was decided."))
    if method not in Method.values:
        raise MeetingError("bad_method", _("Decide by vote or by consensus."))
    counts = {"votes_for": 0, "votes_against": 0, "votes_abstain": 0}
    total = voters(meeting).count()
    present = voters(meeting).filter(attended=True).count()
    if method == Method.VOTE:
        if present < quorum_needed(meeting, total) or total == 0:
            raise MeetingError(
                "no_quorum",
                _("No quorum: %(present)d of %(total)d voters present, %(needed)d needed.")
                % {"present": present, "total": total, "needed": quorum_needed(meeting, total)},
            )
        choices = list(item.votes.values_list("choice", flat=True))
        counts = {
            "votes_for": choices.count(VoteChoice.FOR),
            "votes_against": choices.count(VoteChoice.AGAINST),
            "votes_abstain": choices.count(VoteChoice.ABSTAIN),
        }
        if not choices:
            raise MeetingError("no_votes", _("Record the votes before deciding."))
        adopted = majority_reached(
            meeting.majority,
            yes=counts["votes_for"],
            no=counts["votes_against"],
            abstain=counts["votes_abstain"],
        )
    else:
        adopted = True
    if actions and not adopted:
        raise MeetingError("rejected_with_actions", _("A rejected motion has no action items."))
    for spec in actions:
        _check_action(spec, meeting)
    decision = Decision.objects.create(
        item=item,
        method=method,
        outcome=Outcome.ADOPTED if adopted else Outcome.REJECTED,
        text=text,
        majority=meeting.majority if method == Method.VOTE else "",
        voters_present=present,
        voters_total=total,
        decided_by=actor,
        decided_at=now,
        **counts,
    )
    for spec in actions:
        _create_action(decision, spec)
    item.status = ItemStatus.DECIDED
    item.save(update_fields=["status"])
    _tell_proposer(
        item,
        meeting,
        _("Your proposal was adopted in %(meeting)s: %(title)s")
        if adopted
        else _("Your proposal was rejected in %(meeting)s: %(title)s"),
    )
    if actions and item.matter_id:
        matter = Matter.objects.get(pk=item.matter_id)
        if matter.status == MatterStatus.DELIBERATING:
            matter_start(
                actor=actor,
                matter=matter,
                note=_("Decided in %(meeting)s: %(text)s")
                % {"meeting": meeting.title, "text": text[:200]},
                now=now,
            )
    return decision


@transaction.atomic
def decision_correct(*, actor, decision: Decision, text: str, reason: str, now=None) -> Decision:
    """A correction: a new decision that supersedes ``decision`` (which stays as it was). The
    counts and action items stay with the record of the vote; only the wording changes."""
    _manage(actor, decision.item.meeting)
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if Decision.objects.filter(corrects=decision).exists():
        raise MeetingError("already_corrected", _("Correct the latest version of the decision."))
    text, reason = text.strip(), reason.strip()
    if not text or not reason:
        raise MeetingError("reason_required", _("Give the corrected text and the reason."))
    return Decision.objects.create(
        item_id=decision.item_id,
        method=decision.method,
        outcome=decision.outcome,
        text=text,
        majority=decision.majority,
        votes_for=decision.votes_for,
        votes_against=decision.votes_against,
        votes_abstain=decision.votes_abstain,
        voters_present=decision.voters_present,
        voters_total=decision.voters_total,
        corrects=decision,
        correction_reason=reason[:1000],
        decided_by=actor,
        decided_at=now_or(now),
    )


@transaction.atomic
def action_item_add(*, actor, decision: Decision, spec: ActionSpec) -> ActionItem:
    meeting = _manage(actor, decision.item.meeting)
    _not_closed(meeting)
    if decision.outcome != Outcome.ADOPTED:
        raise MeetingError("rejected_with_actions", _("A rejected motion has no action items."))
    _check_action(spec, meeting)
    return _create_action(decision, spec)


@transaction.atomic
def action_item_complete(*, actor, action: ActionItem, note: str = "", now=None) -> ActionItem:
    """Mark an action item done. When the last action item of a matter's decisions is done,
    the matter is completed (and ``matter_complete`` tells its reporters)."""
    action = (
        ActionItem.objects.select_for_update().select_related("decision__item").get(pk=action.pk)
    )
    item = action.decision.item
    _manage(actor, item.meeting)
    if action.status == ActionStatus.DONE:
        raise MeetingError("already_done", _("This action item is already done."))
    now = now_or(now)
    action.status, action.done_at, action.done_by = ActionStatus.DONE, now, actor
    action.done_note = note[:1000]
    action.save(update_fields=["status", "done_at", "done_by", "done_note"])
    if item.matter_id:
        matter = Matter.objects.get(pk=item.matter_id)
        open_left = ActionItem.objects.filter(
            decision__item__matter=matter, status=ActionStatus.OPEN
        ).exists()
        if not open_left and matter.status == MatterStatus.IN_PROGRESS:
            matter_complete(
                actor=actor,
                matter=matter,
                note=_("All action items of the meeting's decision are done."),
                now=now,
            )
    return action

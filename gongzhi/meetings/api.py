"""Meetings over the API (/api/v1/meetings): venues, series, meetings, agenda items, votes,
decisions and action items.

Reads use ``selectors`` (the directory reach); each write calls one service, and a refused
write is its ``MeetingError`` (a ``core.services.ServiceError``, answered by the one handler in
``gongzhi/api.py``) as ``{"code", "message"}``: 403 for ``forbidden``, 409 for state conflicts
(closed meeting, taken venue, second vote …), 400 for the rest.
"""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.core.apischema import (
    PLACE_HELP,
    REFUSED,
    ApiError,
    ErrorOut,
    LocalTime,
    Page,
    PageIn,
    get_or_404,
    paginate,
    parse_place,
)
from gongzhi.meetings import selectors, services
from gongzhi.meetings.models import AgendaItem, Decision, Meeting, Participant
from gongzhi.meetings.services import ActionSpec
from gongzhi.pickers.selectors import PickError, resolve
from gongzhi.places.models import Building, Community, Compound

router = Router(tags=["meetings"])


def _scope(text: str):
    place = parse_place(text)
    models = {"community": Community, "compound": Compound, "building": Building}
    if place is None or place.level not in models:
        raise ApiError(
            400, "bad_scope", _("A meeting is held for a community, compound or building.")
        )
    obj = models[place.level].objects.filter(pk=place.id).first()
    if obj is None:
        raise ApiError(400, "bad_scope", _("Unknown place %(place)s") % {"place": text})
    return obj


# ---- schemas ---------------------------------------------------------------------------------


class VenueOut(Schema):
    id: int
    name: str
    community_id: int
    compound_id: int | None
    address: str


class VenueIn(Schema):
    name: str = Field(max_length=60)
    place: str = Field(description="community:1 or compound:3")
    address: str = Field("", max_length=120)


class SeriesOut(Schema):
    id: int
    name: str
    rule: str = Field(description="weekly, fours (4th/14th/24th), monthly or ad_hoc")
    weekday: int | None = Field(description="0 = Monday … 6 = Sunday (weekly)")
    day_of_month: int | None = Field(description="1–31, clamped to short months (monthly)")
    holiday_policy: str = Field(description="keep, skip or next_workday")
    starts_on: dt.date
    ends_on: dt.date | None
    start_time: LocalTime
    duration_minutes: int
    venue_id: int
    scope: str

    @staticmethod
    def resolve_scope(obj) -> str:
        return obj.scope_label


class SeriesIn(Schema):
    name: str = Field(max_length=60)
    venue_id: int
    place: str | None = Field(None, description="community:1, compound:3 or building:7")
    rule: str
    weekday: int | None = None
    day_of_month: int | None = None
    holiday_policy: str = "next_workday"
    starts_on: dt.date
    ends_on: dt.date | None = None
    start_time: LocalTime
    duration_minutes: int = 90


class MeetingOut(Schema):
    id: int
    title: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    scope: str
    community_id: int
    compound_id: int | None
    building_id: int | None
    venue_id: int | None
    series_id: int | None
    majority: str
    quorum_share: float
    quorum_count: int | None

    @staticmethod
    def resolve_scope(obj) -> str:
        return obj.scope_label


class MeetingIn(Schema):
    title: str = Field(max_length=80)
    place: str = Field(description="community:1, compound:3 or building:7")
    starts_at: dt.datetime
    minutes: int = 90
    venue_id: int | None = None
    majority: str = "simple"
    quorum_share: float = 0.5
    quorum_count: int | None = None


class ParticipantOut(Schema):
    id: int
    kind: str
    name: str
    outsider_role: str
    is_voter: bool
    reply: str
    attended: bool


class InviteIn(Schema):
    invitees: list[str] = Field(
        min_length=1,
        max_length=500,
        description="kind:id, as the picker gives them: partner:3, resident:8, organisation:5, "
        "user:7 (staff), team_members:2 (a team's active members), building_partners:4",
    )
    is_voter: bool = False


class InvitedOut(Schema):
    invited: list[ParticipantOut]
    skipped: list[ParticipantOut] = Field(description="Already invited before; left as they were")


class AttendanceIn(Schema):
    present: list[int] = Field([], description="Participant ids present; everyone else absent")
    everyone: bool = Field(False, description="Everyone invited is present (全部到会)")


class AgendaItemOut(Schema):
    id: int
    meeting_id: int | None
    source: str = Field(description="matter, resident or staff")
    matter_id: int | None
    title: str
    description: str
    position: int
    minutes: int
    status: str
    notes: str
    options: str


class ItemIn(Schema):
    title: str = Field(max_length=120)
    description: str = Field("", max_length=2000)
    minutes: int = 15


class ActionOut(Schema):
    id: int
    decision_id: int
    title: str
    owner: str
    owner_kind: str
    due_on: dt.date
    status: str
    done_at: dt.datetime | None

    @staticmethod
    def resolve_owner(obj) -> str:
        return str(obj.owner)

    @staticmethod
    def resolve_owner_kind(obj) -> str:
        return type(obj.owner).__name__.lower()


class DecisionOut(Schema):
    id: int
    item_id: int
    method: str
    outcome: str
    text: str
    majority: str
    votes_for: int
    votes_against: int
    votes_abstain: int
    voters_present: int
    voters_total: int
    corrects_id: int | None
    decided_at: dt.datetime
    actions: list[ActionOut]

    @staticmethod
    def resolve_actions(obj) -> list:
        return list(obj.actions.all())


class MeetingDetailOut(MeetingOut):
    participants: list[ParticipantOut]
    items: list[AgendaItemOut]

    @staticmethod
    def resolve_participants(obj) -> list:
        return list(obj.participants.all())

    @staticmethod
    def resolve_items(obj) -> list:
        return list(obj.items.all())


class ActionIn(Schema):
    title: str = Field(max_length=200)
    due_on: dt.date | None = None
    owner: str | None = Field(None, description="partner:3, team:2 or organisation:5")


class DecisionIn(Schema):
    item_id: int
    method: str = Field(description="vote or consensus")
    text: str = Field(max_length=2000)
    actions: list[ActionIn] = []


class MeetingVoteIn(Schema):
    item_id: int
    participant_id: int
    choice: str = Field(description="for, against or abstain")


class MeetingVoteOut(Schema):
    id: int
    item_id: int
    participant_id: int
    choice: str


class DoneIn(Schema):
    note: str = Field("", max_length=1000)


class MeetingFilters(Schema):
    place: str | None = Field(None, description=PLACE_HELP)
    status: str | None = Field(None, description="planned, in_session, closed or cancelled")
    since: dt.date | None = None
    until: dt.date | None = None


# ---- endpoints -------------------------------------------------------------------------------


@router.get("/venues", response={200: Page[VenueOut], 400: ErrorOut}, summary="List venues")
def venues_list(request, paging: Query[PageIn], place: str | None = None):
    return paginate(selectors.venue_list(request.auth, place=parse_place(place)), paging)


@router.post("/venues", response={201: VenueOut, **REFUSED}, summary="Create a venue")
def venues_create(request, data: VenueIn):
    scope = services.Scope.of(_scope(data.place))
    venue = services.venue_create(
        actor=request.auth,
        community=scope.community,
        compound=scope.compound,
        name=data.name,
        address=data.address,
    )
    return 201, venue


@router.get("/series", response={200: Page[SeriesOut], 400: ErrorOut}, summary="List series")
def series_index(request, paging: Query[PageIn], place: str | None = None):
    return paginate(selectors.series_list(request.auth, place=parse_place(place)), paging)


@router.post(
    "/series", response={201: SeriesOut, **REFUSED}, summary="Create a series (and its meetings)"
)
def series_create(request, data: SeriesIn):
    venue = get_or_404(selectors.venue_list(request.auth), data.venue_id, _("Venue not found"))
    series = services.series_create(
        actor=request.auth,
        name=data.name,
        venue=venue,
        place=_scope(data.place) if data.place else None,
        rule=data.rule,
        weekday=data.weekday,
        day_of_month=data.day_of_month,
        holiday_policy=data.holiday_policy,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        start_time=data.start_time,
        duration_minutes=data.duration_minutes,
    )
    return 201, series


@router.get("", response={200: Page[MeetingOut], 400: ErrorOut}, summary="List meetings")
def meetings_list(request, paging: Query[PageIn], filters: Query[MeetingFilters]):
    qs = selectors.meeting_list(
        request.auth, place=parse_place(filters.place), status=filters.status
    )
    if filters.since:
        qs = qs.filter(starts_at__date__gte=filters.since)
    if filters.until:
        qs = qs.filter(starts_at__date__lte=filters.until)
    return paginate(qs, paging)


@router.post("", response={201: MeetingOut, **REFUSED}, summary="Create an ad hoc meeting")
def meetings_create(request, data: MeetingIn):
    venue = None
    if data.venue_id is not None:
        venue = get_or_404(selectors.venue_list(request.auth), data.venue_id, _("Venue not found"))
    meeting = services.meeting_create(
        actor=request.auth,
        title=data.title,
        place=_scope(data.place),
        starts_at=data.starts_at,
        minutes=data.minutes,
        venue=venue,
        majority=data.majority,
        quorum_share=data.quorum_share,
        quorum_count=data.quorum_count,
    )
    return 201, meeting


def _meeting(request, meeting_id: int) -> Meeting:
    return get_or_404(selectors.meeting_list(request.auth), meeting_id, _("Meeting not found"))


@router.get(
    "/{int:meeting_id}", response={200: MeetingDetailOut, 404: ErrorOut}, summary="A meeting"
)
def meetings_detail(request, meeting_id: int):
    return _meeting(request, meeting_id)


@router.post(
    "/{int:meeting_id}/participants",
    response={201: InvitedOut, **REFUSED},
    summary="Invite many people at once (all or nothing; those already invited are skipped)",
)
def participants_invite(request, meeting_id: int, data: InviteIn):
    meeting = _meeting(request, meeting_id)
    try:
        people = resolve(request.auth, data.invitees, list(services.INVITEE_KINDS))
    except PickError as error:
        raise ApiError(400, "bad_participant", str(error)) from None
    invited = services.meeting_invite_many(
        actor=request.auth,
        meeting=meeting,
        people=people,
        is_voter=data.is_voter,
    )
    return 201, {"invited": invited.created, "skipped": invited.skipped}


@router.post(
    "/{int:meeting_id}/attendance",
    response={200: list[ParticipantOut], **REFUSED},
    summary="Record who is present (the rest are absent)",
)
def attendance(request, meeting_id: int, data: AttendanceIn):
    meeting = _meeting(request, meeting_id)
    present = data.present
    if data.everyone:
        present = list(meeting.participants.values_list("pk", flat=True))
    services.meeting_attendance(actor=request.auth, meeting=meeting, present=present)
    return list(meeting.participants.all())


@router.post(
    "/{int:meeting_id}/items", response={201: AgendaItemOut, **REFUSED}, summary="Propose an item"
)
def items_create(request, meeting_id: int, data: ItemIn):
    meeting = _meeting(request, meeting_id)
    item = services.agenda_propose(
        actor=request.auth,
        meeting=meeting,
        title=data.title,
        description=data.description,
        minutes=data.minutes,
    )
    return 201, item


@router.get(
    "/items", response={200: Page[AgendaItemOut], 400: ErrorOut}, summary="List agenda items"
)
def items_list(request, paging: Query[PageIn], place: str | None = None, queue: bool = False):
    qs = selectors.item_list(request.auth, place=parse_place(place), queue=queue)
    return paginate(qs.order_by("-created_at", "-id"), paging)


def _item(request, item_id: int) -> AgendaItem:
    return get_or_404(selectors.item_list(request.auth), item_id, _("Agenda item not found"))


@router.post("/votes", response={201: MeetingVoteOut, **REFUSED}, summary="Cast or record a vote")
def votes_create(request, data: MeetingVoteIn):
    item = _item(request, data.item_id)
    participant = Participant.objects.filter(pk=data.participant_id).first()
    if participant is None:
        raise ApiError(404, "not_found", _("Participant not found"))
    vote = services.vote_cast(
        actor=request.auth,
        item=item,
        participant=participant,
        choice=data.choice,
    )
    return 201, vote


def _owner(request, text: str | None) -> dict:
    try:
        return selectors.action_owner(request.auth, text)
    except PickError:
        raise ApiError(400, "bad_owner", _("Unknown owner %(owner)s") % {"owner": text}) from None


@router.get("/decisions", response={200: Page[DecisionOut], 400: ErrorOut}, summary="Decisions")
def decisions_list(
    request, paging: Query[PageIn], place: str | None = None, published: bool = False
):
    qs = selectors.decision_list(request.auth, place=parse_place(place), published=published)
    return paginate(qs.order_by("-decided_at", "-id"), paging)


@router.post("/decisions", response={201: DecisionOut, **REFUSED}, summary="Record a decision")
def decisions_create(request, data: DecisionIn):
    item = _item(request, data.item_id)
    actions = [
        ActionSpec(title=a.title, due_on=a.due_on, **_owner(request, a.owner)) for a in data.actions
    ]
    decision = services.decision_record(
        actor=request.auth,
        item=item,
        method=data.method,
        text=data.text,
        actions=actions,
    )
    return 201, Decision.objects.prefetch_related("actions").get(pk=decision.pk)


@router.get("/actions", response={200: Page[ActionOut], 400: ErrorOut}, summary="Action items")
def actions_list(request, paging: Query[PageIn], place: str | None = None):
    qs = selectors.action_list(request.auth, place=parse_place(place))
    return paginate(qs.order_by("due_on", "id"), paging)


@router.post(
    "/actions/{int:action_id}/done",
    response={200: ActionOut, **REFUSED},
    summary="Mark an action item done",
)
def actions_done(request, action_id: int, data: DoneIn):
    action = get_or_404(selectors.action_list(request.auth), action_id, _("Action item not found"))
    return services.action_item_complete(actor=request.auth, action=action, note=data.note)

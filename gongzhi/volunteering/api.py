"""Volunteer service over the API (/api/v1/volunteering/…).

Reads go through ``selectors`` (scope from ``rules.py``); every change calls one service. A
refused change is the service's ``VolunteeringError`` as JSON: 403 ``forbidden``; 409
``bad_state``, ``duplicate_participant``, ``in_publicity``, ``not_in_publicity``,
``insufficient``; 400 the rest.
"""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.core.apischema import (
    PLACE_HELP,
    REFUSED,
    ApiError,
    ErrorOut,
    Page,
    PageIn,
    get_or_404,
    paginate,
    parse_place,
)
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.people.models import Resident
from gongzhi.pickers.selectors import PickError, resolve
from gongzhi.volunteering import rules, selectors, services
from gongzhi.volunteering.models import PointsClaim

router = Router(tags=["volunteering"])


class ActivityOut(Schema):
    id: int
    title: str
    kind: str
    date: dt.date
    community_id: int
    organiser: str
    organiser_team_id: int | None
    organiser_org_id: int | None
    source: str
    participants: int
    approved_hours: float

    @staticmethod
    def resolve_organiser(obj) -> str:
        return str(obj.organiser)

    @staticmethod
    def resolve_approved_hours(obj) -> float:
        return round((obj.minutes or 0) / 60, 1)


class ActivityIn(Schema):
    title: str
    kind: str = Field(description="service, task, meeting, mediation or co_building")
    date: dt.date
    team_id: int | None = None
    organisation_id: int | None = None
    source: str = ""


class RecordOut(Schema):
    id: int
    activity_id: int
    person: str
    resident_id: int | None
    partner_id: int | None
    minutes: int
    status: str

    @staticmethod
    def resolve_person(obj) -> str:
        return obj.person_name


class RecordIn(Schema):
    partner_id: int | None = None
    resident_id: int | None = None
    minutes: int
    confirm: bool = False


class AmendIn(Schema):
    minutes: int
    reason: str


class ClaimReasonIn(Schema):
    reason: str


class ClaimOut(Schema):
    id: int
    record_id: int
    points: int
    status: str
    publicity_until: dt.datetime | None
    issued_at: dt.datetime | None
    journal_id: int | None


class StarOut(Schema):
    id: int
    person: str
    level: int
    status: str
    publicity_until: dt.datetime
    awarded_at: dt.datetime | None

    @staticmethod
    def resolve_person(obj) -> str:
        return obj.person.name


class SummaryOut(Schema):
    approved_hours: float
    pending_hours: float
    activities: int
    star: int


@router.get("/activities", response=Page[ActivityOut])
def activity_list(
    request,
    paging: Query[PageIn],
    place: str | None = Query(None, description=PLACE_HELP),
    kind: str = "",
):
    return paginate(
        selectors.activity_list(request.auth, place=parse_place(place), kind=kind), paging
    )


@router.post("/activities", response={201: ActivityOut, **REFUSED})
def activity_create(request, body: ActivityIn):
    organiser = None
    if body.team_id is not None:
        organiser = Team.objects.filter(pk=body.team_id).first()
    elif body.organisation_id is not None:
        organiser = Organisation.objects.filter(pk=body.organisation_id).first()
    activity = services.activity_create(
        title=body.title,
        kind=body.kind,
        organiser=organiser,
        actor=request.auth,
        date=body.date,
        source=body.source,
    )
    return 201, selectors.activity_list(request.auth).get(pk=activity.pk)


@router.get("/activities/{pk}", response={200: ActivityOut, 404: ErrorOut})
def activity_detail(request, pk: int):
    return get_or_404(selectors.activity_list(request.auth), pk, _("No such activity"))


@router.get("/activities/{pk}/records", response={200: list[RecordOut], 404: ErrorOut})
def activity_records(request, pk: int):
    activity = get_or_404(selectors.activity_list(request.auth), pk, _("No such activity"))
    return list(selectors.record_list(request.auth).filter(activity=activity))


@router.post("/activities/{pk}/records", response={201: RecordOut, **REFUSED})
def record_add(request, pk: int, body: RecordIn):
    activity = get_or_404(selectors.activity_list(request.auth), pk, _("No such activity"))
    if body.partner_id is not None:
        participant = Partner.objects.filter(pk=body.partner_id).first()
    else:
        participant = Resident.objects.filter(pk=body.resident_id).first()
    if participant is None:
        raise ApiError(400, "invalid_participant", _("A participant is a resident or a partner."))
    record = services.service_record_add(
        activity=activity,
        participant=participant,
        minutes=body.minutes,
        actor=request.auth,
    )
    if body.confirm:
        record = services.service_record_confirm(record=record, actor=request.auth)
    return 201, record


class BatchRecordsIn(Schema):
    participants: list[str] = Field(
        description='Picker values (docs/pickers.md): "partner:12", "resident:3", '
        '"team_members:4" (all active members of a team), "building_partners:7"',
        min_length=1,
        max_length=500,
    )
    minutes: int
    confirm: bool = False


@router.post("/activities/{pk}/records/batch", response={201: list[RecordOut], **REFUSED})
def record_add_batch(request, pk: int, body: BatchRecordsIn):
    """Record one activity's minutes for many volunteers: every record is written or none."""
    activity = get_or_404(selectors.activity_list(request.auth), pk, _("No such activity"))
    try:
        participants = resolve(
            request.auth,
            body.participants,
            ["partner", "resident", "team_members", "building_partners"],
            community=activity.community_id,
        )
    except PickError as error:
        raise ApiError(400, "invalid_participant", error.message) from None
    records = services.service_records_add_batch(
        activity=activity,
        participants=participants,
        minutes=body.minutes,
        actor=request.auth,
        confirm=body.confirm,
    )
    return 201, records


def _record(request, pk: int):
    return get_or_404(selectors.record_list(request.auth), pk, _("No such service record"))


@router.get("/records", response=Page[RecordOut])
def record_list(
    request,
    paging: Query[PageIn],
    place: str | None = Query(None, description=PLACE_HELP),
    status: str = "",
):
    return paginate(
        selectors.record_list(request.auth, place=parse_place(place), status=status), paging
    )


@router.post("/records/{pk}/confirm", response={200: RecordOut, **REFUSED})
def record_confirm(request, pk: int):
    return services.service_record_confirm(record=_record(request, pk), actor=request.auth)


@router.post("/records/{pk}/amend", response={200: RecordOut, **REFUSED})
def record_amend(request, pk: int, body: AmendIn):
    record = _record(request, pk)
    services.service_record_amend(
        record=record,
        minutes=body.minutes,
        reason=body.reason,
        actor=request.auth,
    )
    record.refresh_from_db()
    return record


@router.post("/records/{pk}/revoke", response={200: RecordOut, **REFUSED})
def record_revoke(request, pk: int, body: ClaimReasonIn):
    return services.service_record_revoke(
        record=_record(request, pk),
        reason=body.reason,
        actor=request.auth,
    )


@router.get("/claims", response=Page[ClaimOut])
def claim_list(
    request,
    paging: Query[PageIn],
    place: str | None = Query(None, description=PLACE_HELP),
    status: str = "",
):
    return paginate(
        selectors.claim_list(request.auth, place=parse_place(place), status=status), paging
    )


def _claim(request, pk: int) -> PointsClaim:
    found = get_or_404(selectors.claim_list(request.auth), pk, _("No such claim"))
    return PointsClaim.objects.get(pk=found.pk)


@router.post("/claims/{pk}/approve", response={200: ClaimOut, **REFUSED})
def claim_approve(request, pk: int):
    return services.points_claim_approve(claim=_claim(request, pk), actor=request.auth)


class ClaimIdsIn(Schema):
    ids: list[int] = Field(min_length=1, max_length=500)


@router.post("/claims/approve", response={200: list[ClaimOut], **REFUSED})
def claims_approve(request, body: ClaimIdsIn):
    """Approve many claims at once: all or none; a refusal names the claim that failed."""
    found = selectors.claim_list(request.auth).filter(pk__in=body.ids)
    claims = {claim.pk: claim for claim in PointsClaim.objects.filter(pk__in=found.values("pk"))}
    missing = [pk for pk in body.ids if pk not in claims]
    if missing:
        raise ApiError(404, "not_found", _("No such claim: #%(id)s") % {"id": missing[0]})
    return services.points_claims_approve_batch(
        claims=[claims[pk] for pk in body.ids],
        actor=request.auth,
    )


@router.post("/claims/{pk}/issue", response={200: ClaimOut, **REFUSED})
def claim_issue(request, pk: int):
    return services.points_claim_issue(claim=_claim(request, pk), actor=request.auth)


@router.post("/claims/{pk}/reject", response={200: ClaimOut, **REFUSED})
def claim_reject(request, pk: int, body: ClaimReasonIn):
    return services.points_claim_reject(
        claim=_claim(request, pk),
        reason=body.reason,
        actor=request.auth,
    )


@router.post("/claims/{pk}/object", response={200: ClaimOut, **REFUSED})
def claim_object(request, pk: int, body: ClaimReasonIn):
    return services.points_claim_object(
        claim=_claim(request, pk),
        reason=body.reason,
        actor=request.auth,
    )


@router.get("/stars", response=Page[StarOut])
def star_list(
    request, paging: Query[PageIn], place: str | None = Query(None, description=PLACE_HELP)
):
    return paginate(selectors.star_list(request.auth, place=parse_place(place)), paging)


@router.get("/me", response={200: SummaryOut, 404: ErrorOut})
def my_summary(request):
    person = rules.person_of(request.auth)
    if person is None:
        raise ApiError(404, "no_person", _("Your account is not linked to a resident or partner."))
    return selectors.service_summary(person)

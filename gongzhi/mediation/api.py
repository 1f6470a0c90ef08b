"""Mediation cases over the API (/api/v1/mediation/cases).

Confidential like the pages: every case goes through ``selectors.case_for`` / ``case_views``,
so a viewer without access to the details gets ``null`` for the description, parties,
mediators, notes and agreement (``access`` says why). A refused change is the service's
``MediationError`` as JSON (one handler in ``gongzhi/api.py``): 403 ``forbidden``, 409
``bad_state`` / ``already_done`` / ``already_open``, 400 the rest. Ids are bounded in the
schemas (``DbId``): a huge id is a 422, never a 500. Free text arrives without control
characters (``CleanStr``).
"""

import datetime as dt
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, responses

from gongzhi.core.apischema import (
    PLACE_HELP,
    REFUSED,
    ApiError,
    DbId,
    ErrorOut,
    Page,
    PageIn,
    parse_place,
)
from gongzhi.core.text import CleanStr
from gongzhi.mediation import rules, selectors, services
from gongzhi.mediation.models import CaseKind, CaseStatus, FollowUp, Outcome, ReferralTarget
from gongzhi.partners.models import Organisation, Partner
from gongzhi.partners.rules import organisations_visible, partners_visible
from gongzhi.people.models import Resident
from gongzhi.people.rules import residents_visible
from gongzhi.places.models import Building, Community, Compound
from gongzhi.places.rules import places_visible

router = Router(tags=["mediation"])

CONFIDENTIAL = "Null unless you may see the case's details (access = full)"
#: At most this many ids in one list (a party list, the mediators).
MAX_IDS = 100


class SessionOut(Schema):
    id: int
    held_at: dt.datetime
    notes: str


class FollowUpOut(Schema):
    id: int
    after_days: int = Field(description="7 (one week) or 30 (one month) after the outcome")
    due_on: dt.date
    done_at: dt.datetime | None
    held: bool | None = Field(description="Whether the agreement held; null until visited")
    notes: str | None = Field(description=CONFIDENTIAL)


class CaseOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    place_label: str
    community: str
    access: str = Field(
        description="full (mediator, authorised staff), party (a resident of the dispute: "
        "status and agreement) or summary (existence, kind, status, date and place only)"
    )
    outcome: str | None = Field(description="agreed, partly or failed; null for summary access")
    outcome_label: str | None
    agreement_text: str | None = Field(description="For full and party access")
    referred_to: str | None = Field(description="committee, department or court")
    referred_to_label: str | None = Field(description="Where the case went, in words")
    description: str | None = Field(description=CONFIDENTIAL)
    parties: list[str] | None = Field(description=CONFIDENTIAL)
    mediators: list[str] | None = Field(description=CONFIDENTIAL)
    referral_note: str | None = Field(description=CONFIDENTIAL)
    matter_id: int | None = Field(description=CONFIDENTIAL)


class CaseDetailOut(CaseOut):
    sessions: list[SessionOut] | None = Field(description=CONFIDENTIAL)
    follow_ups: list[FollowUpOut]


class CaseFilters(Schema):
    place: str | None = Field(None, description=PLACE_HELP)
    kind: CaseKind | None = None
    status: CaseStatus | None = None


class CaseIn(Schema):
    kind: CaseKind
    description: CleanStr = Field(max_length=4000)
    place: str = Field(description="community:1, compound:3 or building:7")
    resident_ids: list[DbId] = Field(
        [], max_length=MAX_IDS, description="Residents who are parties"
    )
    organisation_ids: list[DbId] = Field(
        [], max_length=MAX_IDS, description="Organisations that are parties"
    )
    party_names: list[CleanStr] = Field([], max_length=MAX_IDS, description="Other parties by name")
    mediator_ids: list[DbId] = Field(
        [], max_length=MAX_IDS, description="Partners with the 矛盾调解 skill or a mediator role"
    )
    matter_id: DbId | None = Field(None, description="A matter in the disputes category")


class SessionIn(Schema):
    notes: CleanStr = Field(max_length=4000)
    held_at: dt.datetime | None = Field(None, description="Defaults to now")


class OutcomeIn(Schema):
    outcome: Outcome
    agreement_text: CleanStr = Field("", max_length=4000, description="Required unless failed")
    referred_to: ReferralTarget | None = Field(None, description="Required when failed")
    referral_note: CleanStr = Field("", max_length=200)


class FollowUpIn(Schema):
    held: bool
    notes: CleanStr = Field("", max_length=4000)


class MediatorsIn(Schema):
    partner_ids: list[DbId] = Field(
        max_length=MAX_IDS, description="Partners with the 矛盾调解 skill or a mediator role"
    )


class AuthoriseIn(Schema):
    user_id: DbId


def _detail(user, pk: int) -> dict:
    access = selectors.case_for(user, pk)
    case = selectors.with_details(selectors.case_list(user)).get(pk=access.case.pk)
    return vars(selectors.case_view(case, access.level, with_records=True))


@router.get("/cases", response={200: Page[CaseOut], 400: ErrorOut}, summary="List cases")
def cases_list(request, paging: Query[PageIn], filters: Query[CaseFilters]):
    qs = selectors.case_list(
        request.auth, place=parse_place(filters.place), kind=filters.kind, status=filters.status
    )
    start = (paging.page - 1) * paging.page_size
    rows = selectors.case_views(request.auth, qs[start : start + paging.page_size])
    return {
        "count": qs.count(),
        "page": paging.page,
        "page_size": paging.page_size,
        "results": [vars(row) for row in rows],
    }


@router.get(
    "/cases/{int:case_id}",
    response={200: CaseDetailOut, 404: ErrorOut},
    summary="One case, redacted for your access",
)
def case_detail(request, case_id: int):
    return _detail(request.auth, case_id)


def _by_ids(qs, ids: list[int], what: str) -> list:
    found = list(qs.filter(pk__in=set(ids)))
    if len(found) != len(set(ids)):
        raise ApiError(400, "invalid_reference", _("Unknown %(what)s.") % {"what": what})
    return found


_PLACES = {"community": Community, "compound": Compound, "building": Building}


def _place(user, text: str):
    place = parse_place(text)
    model = _PLACES.get(place.level) if place else None
    obj = None
    if model is not None:
        obj = places_visible(user, model.objects.all()).filter(pk=place.id).first()
    if obj is None:
        raise ApiError(
            400, "unknown_place", _("Choose the community, compound or building of the dispute.")
        )
    return obj


@router.post("/cases", response={201: CaseDetailOut, **REFUSED}, summary="Open a case")
def case_open(request, payload: CaseIn):
    from gongzhi.matters.selectors import matter_list

    user = request.auth
    matter = None
    if payload.matter_id is not None:
        matter = matter_list(user).filter(pk=payload.matter_id).first()
        if matter is None:
            raise ApiError(400, "invalid_reference", _("Unknown matter."))
    case = services.case_open(
        actor=user,
        kind=payload.kind,
        description=payload.description,
        place=_place(user, payload.place),
        residents=_by_ids(
            residents_visible(
                user, Resident.objects.select_related("household__unit__building__compound")
            ),
            payload.resident_ids,
            _("resident"),
        ),
        organisations=_by_ids(
            organisations_visible(user, Organisation.objects.all()),
            payload.organisation_ids,
            _("organisation"),
        ),
        names=payload.party_names,
        mediators=_by_ids(
            partners_visible(user, Partner.objects.all()), payload.mediator_ids, _("partner")
        ),
        matter=matter,
    )
    return responses.Status(201, _detail(user, case.pk))


def _act(request, case_id: int, service: Callable, **kwargs) -> dict:
    user = request.auth
    access = selectors.case_for(user, case_id)
    service(actor=user, case=access.case, **kwargs)
    return _detail(user, case_id)


def _transition(path: str, summary: str):
    return router.post(
        f"/cases/{{int:case_id}}/{path}", response={200: CaseDetailOut, **REFUSED}, summary=summary
    )


@_transition("sessions", "Record a mediation session with notes")
def case_session(request, case_id: int, payload: SessionIn):
    return _act(
        request, case_id, services.case_add_session, notes=payload.notes, held_at=payload.held_at
    )


@_transition("outcome", "Record the outcome (agreed, partly, failed and referred)")
def case_outcome(request, case_id: int, payload: OutcomeIn):
    return _act(
        request,
        case_id,
        services.case_record_outcome,
        outcome=payload.outcome,
        agreement_text=payload.agreement_text,
        referred_to=payload.referred_to or "",
        referral_note=payload.referral_note,
    )


@_transition("follow-ups/{int:follow_up_id}", "Record a follow-up visit (回访)")
def case_follow_up(request, case_id: int, follow_up_id: int, payload: FollowUpIn):
    follow_up = FollowUp.objects.filter(pk=follow_up_id, case_id=case_id).first()
    if follow_up is None:
        raise ApiError(404, "not_found", _("Follow-up visit not found"))
    return _act(
        request,
        case_id,
        services.case_record_follow_up,
        follow_up=follow_up,
        held=payload.held,
        notes=payload.notes,
    )


@_transition("mediators", "Set the mediators")
def case_mediators(request, case_id: int, payload: MediatorsIn):
    # The case and the permission first: someone who may not manage the case learns nothing
    # about partners (which ids exist, who is visible) from this endpoint.
    user = request.auth
    access = selectors.case_for(user, case_id)
    if not rules.can_manage(user, access.case):
        raise services.forbidden()
    mediators = _by_ids(
        partners_visible(user, Partner.objects.all()), payload.partner_ids, _("partner")
    )
    return _act(request, case_id, services.case_set_mediators, mediators=mediators)


@_transition("authorised-staff", "Authorise a staff member of the community for the details")
def case_authorise(request, case_id: int, payload: AuthoriseIn):
    staff = get_user_model().objects.filter(pk=payload.user_id, is_active=True).first()
    if staff is None:
        raise ApiError(
            400, "invalid_staff", _("Only community staff of this community can be authorised.")
        )
    return _act(request, case_id, services.case_authorise_staff, user=staff)

"""Visits and the care register over the API.

* ``POST /visits``, ``GET /visits`` (the visits the user may see), ``GET /visits/coverage``
  (per grid and building; staff, officials and grid workers), ``GET /visits/today`` (the
  caller's day list);
* ``/care/subjects`` (list for anyone who may see the register; create, change and end for
  community staff). ``reason`` is null where the caller may not see it (``rules.py``).

A refused write is the service's ``VisitError``: 403 ``forbidden``, 409
``already_registered``, 400 the rest (``outside_reach``, ``invalid_frequency`` …).
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.audit.services import record_list
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
from gongzhi.core.text import CleanStr
from gongzhi.maps.models import Spot
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Household
from gongzhi.visits import rules, selectors, services
from gongzhi.visits.models import CareSubject, Visit

router = Router(tags=["visits"])


class VisitIn(Schema):
    household_id: int | None = Field(None, description="The household visited, or …")
    building_id: int | None = Field(None, description="… the building visited, or …")
    spot_id: int | None = Field(None, description="… the public spot visited: exactly one")
    kind: str = Field(description="routine, care, follow_up, check or other")
    found: CleanStr = Field(description="What was found")
    raise_matter: bool = Field(False, description="Also submit a matter, linked to the visit")
    matter_text: CleanStr = ""
    client_key: str = Field("", description="Retry key: a second send returns the first visit")


class VisitOut(Schema):
    id: int
    target: str = Field(description="household, building or spot")
    place: str = Field(description="Where the visit was, as people read it")
    household_id: int | None
    household: str | None
    building_id: int | None
    spot_id: int | None
    kind: str
    kind_label: str
    found: str
    visited_at: dt.datetime
    visitor: str
    matter_id: int | None


def _visit_out(visit: Visit) -> dict:
    return {
        "id": visit.pk,
        "target": visit.target,
        "place": visit.target_label,
        "household_id": visit.household_id,
        "household": visit.household.label if visit.household_id else None,
        "building_id": visit.building_id,
        "spot_id": visit.spot_id,
        "kind": visit.kind,
        "kind_label": visit.get_kind_display(),
        "found": visit.found,
        "visited_at": visit.visited_at,
        "visitor": visit.visitor.get_full_name(),
        "matter_id": visit.matter_id,
    }


@router.post("/visits", response={201: VisitOut, **REFUSED}, summary="Record a visit")
def visit_create(request, data: VisitIn):
    targets = {
        "household": (data.household_id, Household.objects.with_place()),
        "building": (data.building_id, Building.objects.select_related("compound__community")),
        "spot": (data.spot_id, Spot.objects.select_related("compound", "community")),
    }
    given = {name: (pk, qs) for name, (pk, qs) in targets.items() if pk is not None}
    if len(given) != 1:
        raise services.invalid_target()
    [(name, (pk, qs))] = given.items()
    place = qs.filter(pk=pk).first()
    if place is None:
        raise services.outside_reach(name)
    visit = services.visit_record(
        actor=request.auth,
        **{name: place},
        kind=data.kind,
        found=data.found,
        raise_matter=data.raise_matter,
        matter_text=data.matter_text,
        client_key=data.client_key,
    )
    return 201, _visit_out(visit)


class VisitFilters(Schema):
    place: str | None = Field(None, description=PLACE_HELP)
    mine: bool = Field(False, description="Only the visits you made")


@router.get("/visits", response={200: Page[VisitOut], 400: ErrorOut}, summary="List visits")
def visit_list(request, paging: Query[PageIn], filters: Query[VisitFilters]):
    qs = selectors.visit_list(request.auth, place=parse_place(filters.place), mine=filters.mine)
    page = paginate(qs, paging)
    page["results"] = [_visit_out(v) for v in page["results"]]
    return page


class CoverageRowOut(Schema):
    id: int | None
    name: str
    households: int
    visited_30_days: int
    visited_90_days: int
    never_visited: int
    coverage_90d: float | None


class CoverageOut(Schema):
    total: CoverageRowOut
    grids: list[CoverageRowOut]
    buildings: list[CoverageRowOut]


def _row_out(row: selectors.CoverageRow) -> dict:
    return {
        "id": row.key,
        "name": row.label,
        "households": row.households,
        "visited_30_days": row.visited_30,
        "visited_90_days": row.visited_90,
        "never_visited": row.never,
        "coverage_90d": row.rate_90,
    }


@router.get(
    "/visits/coverage",
    response={200: CoverageOut, 400: ErrorOut, 403: ErrorOut},
    summary="Visit coverage per grid and building",
)
def visit_coverage(request, place: str | None = Query(None, description=PLACE_HELP)):
    if not rules.can_see_coverage(request.auth):
        raise ApiError(403, "forbidden", _("You may not see visit coverage."))
    data = selectors.coverage(request.auth, place=parse_place(place))
    return {
        "total": _row_out(data["total"]),
        "grids": [_row_out(r) for r in data["grids"]],
        "buildings": [_row_out(r) for r in data["buildings"]],
    }


class DayItemOut(Schema):
    household_id: int
    household: str
    care_subject_id: int | None
    care_due_on: dt.date | None
    overdue_days: int
    last_visit: dt.datetime | None


@router.get("/visits/today", response=list[DayItemOut], summary="Who to visit today")
def visit_today(request):
    return [
        {
            "household_id": item.household.pk,
            "household": item.household.label,
            "care_subject_id": item.care.pk if item.care else None,
            "care_due_on": item.care.next_due_on if item.care else None,
            "overdue_days": item.overdue_days,
            "last_visit": item.last_visit,
        }
        for item in selectors.day_list(request.auth)
    ]


# ---- the care register -------------------------------------------------------------------


class CareOut(Schema):
    id: int
    resident_id: int
    name: str
    household: str
    reason: str | None = Field(description="Null unless you may see care reasons")
    reason_label: str | None
    frequency_days: int
    visitor_ids: list[int]
    active: bool
    last_visited_on: dt.date | None
    next_due_on: dt.date


def _care_out(subject: CareSubject, reason_visible: bool) -> dict:
    return {
        "id": subject.pk,
        "resident_id": subject.resident_id,
        "name": subject.resident.name,
        "household": subject.resident.household.label,
        "reason": subject.reason if reason_visible else None,
        "reason_label": subject.get_reason_display() if reason_visible else None,
        "frequency_days": subject.frequency_days,
        "visitor_ids": [u.pk for u in subject.visitors.all()],
        "active": subject.active,
        "last_visited_on": subject.last_visited_on,
        "next_due_on": subject.next_due_on,
    }


class CareFilters(Schema):
    place: str | None = Field(None, description=PLACE_HELP)
    active: bool = True


@router.get("/care/subjects", response={200: Page[CareOut], 400: ErrorOut}, summary="Care list")
def care_list(request, paging: Query[PageIn], filters: Query[CareFilters]):
    qs = selectors.care_list(
        request.auth, place=parse_place(filters.place), active=filters.active
    ).prefetch_related("visitors")
    page = paginate(qs, paging)
    record_list(request, "care_subjects", reasons_shown=selectors.reasons_shown(page["results"]))
    page["results"] = [_care_out(s, s.reason_visible) for s in page["results"]]
    return page


class CareIn(Schema):
    resident_id: int
    reason: str
    frequency_days: int
    visitor_ids: list[int]
    note: CleanStr = ""


class CarePatch(Schema):
    reason: str | None = None
    frequency_days: int | None = None
    visitor_ids: list[int] | None = None
    note: CleanStr | None = None
    active: bool | None = None


def _visitors(ids: list[int] | None):
    if ids is None:
        return None
    users = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
    if len(users) != len(set(ids)):
        raise ApiError(400, "invalid_visitors", _("Unknown visitor."))
    return users


def _manager(request) -> None:
    if not rules.can_manage_care(request.auth):
        raise ApiError(403, "forbidden", _("Only community staff edit the care register."))


@router.post("/care/subjects", response={201: CareOut, **REFUSED}, summary="Register a person")
def care_create(request, data: CareIn):
    _manager(request)
    resident = Resident.objects.filter(pk=data.resident_id).first()
    if resident is None:
        raise ApiError(404, "not_found", _("Resident not found"))
    subject = services.care_subject_create(
        actor=request.auth,
        resident=resident,
        reason=data.reason,
        frequency_days=data.frequency_days,
        visitors=_visitors(data.visitor_ids),
        note=data.note,
    )
    return 201, _care_out(subject, True)


def _subject(request, subject_id: int) -> CareSubject:
    _manager(request)
    qs = rules.care_visible(request.auth, CareSubject.objects.select_related("resident"))
    return get_or_404(qs, subject_id, _("Care subject not found"))


@router.get("/care/subjects/{subject_id}", response={200: CareOut, 403: ErrorOut, 404: ErrorOut})
def care_get(request, subject_id: int):
    qs = selectors.care_list(request.auth, active=None).prefetch_related("visitors")
    subject = get_or_404(qs, subject_id, _("Care subject not found"))
    return _care_out(subject, subject.reason_visible)


@router.patch("/care/subjects/{subject_id}", response={200: CareOut, **REFUSED})
def care_update(request, subject_id: int, data: CarePatch):
    subject = services.care_subject_update(
        actor=request.auth,
        subject=_subject(request, subject_id),
        reason=data.reason,
        frequency_days=data.frequency_days,
        visitors=_visitors(data.visitor_ids),
        note=data.note,
        active=data.active,
    )
    return _care_out(subject, True)


@router.delete("/care/subjects/{subject_id}", response={200: CareOut, **REFUSED})
def care_end(request, subject_id: int):
    """Take a person off the register (kept, inactive: their visits stay on record)."""
    subject = services.care_subject_update(
        actor=request.auth,
        subject=_subject(request, subject_id),
        active=False,
    )
    return _care_out(subject, True)

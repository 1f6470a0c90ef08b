"""Residents and households over the API. Personal data leaves only masked.

``places_router`` is a building with its units and households, at ``/places/buildings/{id}``:
``gongzhi/api.py`` mounts it at the places prefix, next to the places app's own router (places
sits below people and never imports it)."""

import datetime as dt
from collections import defaultdict

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.audit.models import AuditAction
from gongzhi.audit.services import record, record_list
from gongzhi.core.apischema import (
    PLACE_HELP,
    ErrorOut,
    Page,
    PageIn,
    Ref,
    get_or_404,
    paginate,
    parse_place,
)
from gongzhi.core.places import Place
from gongzhi.people import selectors
from gongzhi.people.models import Gender
from gongzhi.places import selectors as place_selectors

router = Router(tags=["people"])
places_router = Router(tags=["places"])


class HouseholdRef(Schema):
    id: int
    label: str = Field(description="Address, e.g. 渔家苑 1栋1单元101")


class HouseholdOut(Schema):
    id: int
    room: str
    label: str = Field(description="Address, e.g. 渔家苑 1栋1单元101")
    unit: Ref
    building: Ref
    compound: Ref
    resident_count: int

    @staticmethod
    def resolve_building(obj) -> object:
        return obj.unit.building

    @staticmethod
    def resolve_compound(obj) -> object:
        return obj.unit.building.compound


class ResidentOut(Schema):
    id: int
    name: str
    gender: str = Field(description="M or F")
    gender_label: str
    birth_date: dt.date
    age: int
    household: HouseholdRef
    relation: str = Field(description="Relation to the household head: head, spouse, child …")
    relation_label: str
    tags: list[str]
    id_number_masked: str = Field(description="ID-card number with the middle digits hidden")
    phone_masked: str = Field(description="Phone with the middle digits hidden")

    @staticmethod
    def resolve_gender_label(obj) -> str:
        return obj.get_gender_display()

    @staticmethod
    def resolve_age(obj) -> int:
        return obj.age()

    @staticmethod
    def resolve_relation_label(obj) -> str:
        return obj.get_relation_display()

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return [tag.name for tag in obj.visible_tags]


class HouseholdDetailOut(HouseholdOut):
    residents: list[ResidentOut]

    @staticmethod
    def resolve_residents(obj) -> object:
        return obj.visible_residents


@router.get("/residents", response=Page[ResidentOut], summary="List residents")
def residents_list(
    request,
    paging: Query[PageIn],
    place: str | None = Query(None, description=PLACE_HELP),
    tag: str | None = Query(None, description="Tag name, e.g. 独居老人"),
    gender: Gender | None = None,
    q: str | None = Query(None, description="Part of the name"),
):
    qs = selectors.resident_list(
        request.auth, place=parse_place(place), tag=tag, gender=gender, search=q
    )
    page = paginate(qs, paging)
    record_list(request, "residents")
    return page


@router.get(
    "/residents/{resident_id}",
    response={200: ResidentOut, 404: ErrorOut},
    summary="One resident",
)
def resident_detail(request, resident_id: int):
    resident = get_or_404(
        selectors.resident_list(request.auth), resident_id, _("Resident not found")
    )
    record(request, AuditAction.VIEW, f"resident:{resident.pk}", place=resident)
    return resident


@router.get("/households", response=Page[HouseholdOut], summary="List households")
def households_list(
    request,
    paging: Query[PageIn],
    place: str | None = Query(None, description=PLACE_HELP),
    q: str | None = Query(None, description="Part of the room number or of a resident's name"),
):
    qs = selectors.household_list(request.auth, place=parse_place(place), search=q)
    page = paginate(qs, paging)
    record_list(request, "households")
    return page


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, 404: ErrorOut},
    summary="One household with its residents",
)
def household_detail(request, household_id: int):
    household = get_or_404(
        selectors.household_list(request.auth), household_id, _("Household not found")
    )
    household.visible_residents = selectors.resident_list(
        request.auth, place=Place("household", household.id)
    )
    record(request, AuditAction.VIEW, f"household:{household.pk}", place=household)
    return household


class UnitOut(Schema):
    id: int
    name: str
    number: int
    households: list[HouseholdOut]


class BuildingDetailOut(Schema):
    id: int
    name: str
    number: int
    compound: Ref
    community: Ref
    grid: Ref | None
    units: list[UnitOut]


@places_router.get(
    "/buildings/{building_id}",
    response={200: BuildingDetailOut, 404: ErrorOut},
    summary="One building with its units and the households the user may see",
    # The id it had in the places app's router, for clients generated from the schema.
    operation_id="gongzhi_places_api_building_detail",
)
def building_detail(request, building_id: int):
    building = place_selectors.building_get(request.auth, building_id)
    households = defaultdict(list)
    for household in selectors.household_list(request.auth, place=Place("building", building.id)):
        households[household.unit_id].append(household)
    return {
        "id": building.id,
        "name": building.name,
        "number": building.number,
        "compound": building.compound,
        "community": building.compound.community,
        "grid": building.grid,
        "units": [
            {
                "id": unit.id,
                "name": unit.name,
                "number": unit.number,
                "households": households[unit.id],
            }
            for unit in place_selectors.building_units(building)
        ],
    }

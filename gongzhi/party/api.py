"""The party structure over the API (/api/v1/party), see docs/party.md.

Reads are scoped by ``party.rules`` (staff their community, officials their subdistrict,
partners and residents nothing but a cadre's own check-ins); writes go through
``party.services``, and a refusal is ``{"code", "message"}`` with the service's stable code.
"""

import datetime as dt

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.core.apischema import (
    REFUSED,
    ApiError,
    ErrorOut,
    Page,
    PageIn,
    get_or_404,
    paginate,
)
from gongzhi.core.places import Place
from gongzhi.core.text import CleanStr
from gongzhi.matters import rules as matter_rules
from gongzhi.matters.models import Matter
from gongzhi.partners.models import Organisation, Partner
from gongzhi.party import rules, selectors, services
from gongzhi.party.models import (
    CadreAssignment,
    CheckIn,
    PartyOrg,
    ReportingUnit,
)
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound, Subdistrict

router = Router(tags=["party"])
PLACES = {
    "subdistrict": Subdistrict,
    "community": Community,
    "compound": Compound,
    "building": Building,
}


def _viewer(request):
    if not rules.can_view(request.auth):
        raise ApiError(403, "forbidden", _("You may not see the party structure."))
    return request.auth


# ---- schemas --------------------------------------------------------------------------------


class OrgOut(Schema):
    id: int
    name: str
    level: str
    level_label: str
    parent_id: int | None
    depth: int
    place: str = Field(description="level:id of the anchor, e.g. compound:3")
    members: int
    matters_raised: int
    matters_handled: int
    service_hours: float


class OrgIn(Schema):
    name: CleanStr
    level: str = Field(description="subdistrict, community, compound or building")
    place: str = Field(description="The anchor, level:id — its level must match the node's")
    parent_id: int | None = None
    secretary: CleanStr = ""


class PartyMemberOut(Schema):
    id: int
    name: str
    branch_id: int
    branch: str
    resident_id: int | None
    partner_id: int | None
    lives_here: bool
    in_service: bool
    joined_on: dt.date
    centre_household: bool


class PartyMemberIn(Schema):
    branch_id: int
    resident_id: int | None = None
    partner_id: int | None = None
    lives_here: bool = True
    in_service: bool = False
    joined_on: dt.date | None = None


class PartyUnitOut(Schema):
    id: int
    name: str
    community_id: int
    registered_on: dt.date
    members: int


class UnitIn(Schema):
    organisation_id: int
    community_id: int


class InServiceIn(Schema):
    resident_id: int | None = None
    partner_id: int | None = None


class InServiceOut(Schema):
    id: int
    unit_id: int
    name: str
    registered_on: dt.date


class CadreOut(Schema):
    id: int
    cadre_id: int
    cadre: str
    compound: str
    building: str | None
    starts_on: dt.date
    ends_on: dt.date
    checkins: int
    last_checkin: dt.datetime | None
    tasks: list[int] = Field(description="Ids of the matters dispatched to the cadre")


class CadreIn(Schema):
    cadre_id: int = Field(description="The cadre's partner record")
    compound_id: int
    building_id: int | None = None
    starts_on: dt.date
    ends_on: dt.date


class CheckInIn(Schema):
    assignment_id: int
    building_id: int | None = None
    note: CleanStr = ""


class CheckInOut(Schema):
    id: int
    assignment_id: int
    at: dt.datetime
    building: str | None


class TaskIn(Schema):
    matter_id: int
    whistle_ids: list[int] = Field(default_factory=list, description="Organisations summoned")
    whistle_hours: int = 72
    note: CleanStr = ""


class TaskOut(Schema):
    id: int
    assignment_id: int
    matter_id: int
    dispatched_at: dt.datetime


# ---- the tree and the roll ------------------------------------------------------------------


def _org_out(row) -> dict:
    org = row.org
    level = org.level
    anchor = getattr(org, f"{level}_id")
    return {
        "id": org.pk,
        "name": org.name,
        "level": level,
        "level_label": org.get_level_display(),
        "parent_id": org.parent_id,
        "depth": row.depth,
        "place": str(Place(level, anchor)),
        "members": row.members,
        "matters_raised": row.matters_raised,
        "matters_handled": row.matters_handled,
        "service_hours": row.service_hours,
    }


@router.get("/orgs", response={200: list[OrgOut], 403: ErrorOut}, summary="The tree")
def list_orgs(request, community_id: int | None = None):
    """The visible organisation tree, depth-first, with each node's figures."""
    user = _viewer(request)
    return [_org_out(row) for row in selectors.org_tree(user, community_id=community_id)]


@router.post("/orgs", response={201: OrgOut, **REFUSED}, summary="Add a node to the tree")
def create_org(request, body: OrgIn):
    level, _sep, raw = body.place.partition(":")
    model = PLACES.get(level)
    if model is None or not raw.isdigit():
        raise ApiError(400, "bad_place", _("Write the place as level:id, e.g. compound:3."))
    place = get_object_or_404(model, pk=int(raw))
    parent = None
    if body.parent_id is not None:
        parent = get_or_404(
            rules.visible(request.auth, PartyOrg.objects.all()),
            body.parent_id,
            _("No such party organisation."),
        )
    org = services.party_org_create(
        actor=request.auth,
        name=body.name,
        level=body.level,
        place=place,
        parent=parent,
        secretary=body.secretary,
    )
    return 201, _org_out(selectors.OrgRow(org=org, depth=0))


def _member_out(m) -> dict:
    return {
        "id": m.pk,
        "name": m.name,
        "branch_id": m.branch_id,
        "branch": m.branch.name,
        "resident_id": m.resident_id,
        "partner_id": m.partner_id,
        "lives_here": m.lives_here,
        "in_service": m.in_service,
        "joined_on": m.joined_on,
        "centre_household": bool(getattr(m, "looks_after", 0)),
    }


@router.get("/members", response={200: Page[PartyMemberOut], 403: ErrorOut}, summary="The roll")
def list_members(request, branch_id: int | None = None, paging: Query[PageIn] = None):
    user = request.auth
    qs = selectors.members_visible(user)
    if branch_id is not None:
        qs = qs.filter(branch_id=branch_id)
    page = paginate(qs, paging or PageIn())
    page["results"] = [_member_out(m) for m in page["results"]]
    return page


@router.post("/members", response={201: PartyMemberOut, **REFUSED}, summary="Add to the roll")
def add_member(request, body: PartyMemberIn):
    branch = get_or_404(
        rules.visible(request.auth, PartyOrg.objects.all()),
        body.branch_id,
        _("No such party organisation."),
    )
    person = _person(body.resident_id, body.partner_id)
    member = services.party_member_add(
        actor=request.auth,
        branch=branch,
        person=person,
        lives_here=body.lives_here,
        in_service=body.in_service,
        joined_on=body.joined_on,
    )
    return 201, _member_out(member)


def _person(resident_id, partner_id):
    if (resident_id is None) == (partner_id is None):
        raise ApiError(400, "invalid_person", _("Give either resident_id or partner_id."))
    if resident_id is not None:
        return get_object_or_404(
            Resident.objects.select_related("household__unit__building__compound"), pk=resident_id
        )
    return get_object_or_404(Partner, pk=partner_id)


# ---- 双报到 ----------------------------------------------------------------------------------


@router.get("/units", response={200: list[PartyUnitOut], 403: ErrorOut}, summary="Reporting units")
def list_units(request):
    user = _viewer(request)
    units = rules.visible(user, ReportingUnit.objects.select_related("organisation")).annotate(
        n=Count("members")
    )
    return [
        {
            "id": u.pk,
            "name": u.organisation.name,
            "community_id": u.community_id,
            "registered_on": u.registered_on,
            "members": u.n,
        }
        for u in units
    ]


@router.post("/units", response={201: PartyUnitOut, **REFUSED}, summary="Register a unit (双报到)")
def register_unit(request, body: UnitIn):
    organisation = get_object_or_404(Organisation, pk=body.organisation_id)
    community = get_object_or_404(Community, pk=body.community_id)
    unit = services.reporting_unit_register(
        actor=request.auth, organisation=organisation, community=community
    )
    return 201, {
        "id": unit.pk,
        "name": organisation.name,
        "community_id": community.pk,
        "registered_on": unit.registered_on,
        "members": 0,
    }


@router.post(
    "/units/{unit_id}/members",
    response={201: InServiceOut, **REFUSED},
    summary="Register an in-service member with the unit (by staff or the member's own account)",
)
def register_member(request, unit_id: int, body: InServiceIn):
    # A member registering themselves cannot see the unit list; the service checks the right.
    unit = get_object_or_404(ReportingUnit, pk=unit_id)
    person = _person(body.resident_id, body.partner_id)
    member = services.in_service_register(actor=request.auth, unit=unit, person=person)
    return 201, {
        "id": member.pk,
        "unit_id": unit.pk,
        "name": member.name,
        "registered_on": member.registered_on,
    }


# ---- 下沉干部 --------------------------------------------------------------------------------


@router.get("/cadres", response={200: list[CadreOut], 403: ErrorOut}, summary="Dispatched cadres")
def list_cadres(request, since: dt.date | None = None):
    user = _viewer(request)
    since = since or timezone.localdate() - dt.timedelta(days=90)
    return [
        {
            "id": row.assignment.pk,
            "cadre_id": row.assignment.cadre_id,
            "cadre": row.assignment.cadre.name,
            "compound": row.assignment.compound.name,
            "building": row.assignment.building.name if row.assignment.building else None,
            "starts_on": row.assignment.starts_on,
            "ends_on": row.assignment.ends_on,
            "checkins": row.checkins,
            "last_checkin": row.last_checkin,
            "tasks": [task.matter_id for task in row.tasks],
        }
        for row in selectors.cadre_rows(user, since=since)
    ]


@router.post("/cadres", response={201: CadreOut, **REFUSED}, summary="Assign a cadre (包保)")
def assign_cadre(request, body: CadreIn):
    cadre = get_object_or_404(Partner, pk=body.cadre_id)
    compound = get_object_or_404(Compound.objects.select_related("community"), pk=body.compound_id)
    building = get_object_or_404(Building, pk=body.building_id) if body.building_id else None
    a = services.cadre_assign(
        actor=request.auth,
        cadre=cadre,
        compound=compound,
        building=building,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
    )
    return 201, {
        "id": a.pk,
        "cadre_id": cadre.pk,
        "cadre": cadre.name,
        "compound": compound.name,
        "building": building.name if building else None,
        "starts_on": a.starts_on,
        "ends_on": a.ends_on,
        "checkins": 0,
        "last_checkin": None,
        "tasks": [],
    }


def _checkins_visible(user):
    qs = CheckIn.objects.select_related("building")
    partner_id = rules.cadre_partner_id(user)
    if partner_id is not None:
        return qs.filter(assignment__cadre_id=partner_id)
    return rules.visible(user, qs)


@router.get("/checkins", response=Page[CheckInOut], summary="Check-ins (a cadre: their own)")
def list_checkins(request, assignment_id: int | None = None, paging: Query[PageIn] = None):
    qs = _checkins_visible(request.auth)
    if assignment_id is not None:
        qs = qs.filter(assignment_id=assignment_id)
    page = paginate(qs, paging or PageIn())
    page["results"] = [
        {
            "id": c.pk,
            "assignment_id": c.assignment_id,
            "at": c.at,
            "building": str(c.building) if c.building else None,
        }
        for c in page["results"]
    ]
    return page


@router.post("/checkins", response={201: CheckInOut, **REFUSED}, summary="Check in (签到)")
def check_in(request, body: CheckInIn):
    assignment = get_object_or_404(CadreAssignment, pk=body.assignment_id)
    building = get_object_or_404(Building, pk=body.building_id) if body.building_id else None
    c = services.cadre_check_in(
        actor=request.auth, assignment=assignment, building=building, note=body.note
    )
    return 201, {
        "id": c.pk,
        "assignment_id": assignment.pk,
        "at": c.at,
        "building": str(c.building) if c.building else None,
    }


@router.post(
    "/cadres/{assignment_id}/tasks",
    response={201: TaskOut, **REFUSED},
    summary="Dispatch a hard matter to the cadre, with a whistle (吹哨)",
)
def dispatch_task(request, assignment_id: int, body: TaskIn):
    assignment = get_or_404(
        rules.visible(request.auth, CadreAssignment.objects.select_related("compound", "cadre")),
        assignment_id,
        _("No such cadre assignment."),
    )
    matter = get_or_404(
        matter_rules.matters_visible(request.auth, Matter.objects.all()),
        body.matter_id,
        _("No such matter."),
    )
    whistle = list(Organisation.objects.filter(pk__in=body.whistle_ids))
    task = services.cadre_task_dispatch(
        actor=request.auth,
        matter=matter,
        assignment=assignment,
        whistle=whistle,
        whistle_hours=body.whistle_hours,
        note=body.note,
    )
    return 201, {
        "id": task.pk,
        "assignment_id": assignment.pk,
        "matter_id": matter.pk,
        "dispatched_at": task.dispatched_at,
    }

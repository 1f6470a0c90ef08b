"""Partners, teams and organisations over the API: the governance directory, phones masked."""

import datetime as dt

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

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
from gongzhi.partners import selectors
from gongzhi.partners.models import (
    OrganisationKind,
    PartnerKind,
    PartnerStatus,
    TeamKind,
    TeamMembership,
)

router = Router(tags=["partners"])


class PartnerOut(Schema):
    id: int
    name: str
    kind: str = Field(description="neighbour, construction or team")
    kind_label: str
    circle: str = Field(description="The circle the kind belongs to")
    status: str
    status_label: str
    community: Ref
    compound: Ref | None
    building: Ref | None
    skills: list[str]
    roles: list[str]
    is_party_member: bool
    phone_masked: str
    joined_on: dt.date

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_circle(obj) -> str:
        return str(obj.circle)

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_skills(obj) -> list[str]:
        return [skill.name for skill in obj.skills.all()]

    @staticmethod
    def resolve_roles(obj) -> list[str]:
        return [role.name for role in obj.roles.all()]


class TeamOut(Schema):
    id: int
    name: str
    kind: str = Field(description="volunteer or red")
    kind_label: str
    community: Ref
    compound: Ref | None
    building_id: int | None
    leader: Ref | None
    focus: str
    member_count: int

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()


class MemberOut(Schema):
    id: int
    name: str
    kind: str
    joined_on: dt.date = Field(description="When the partner joined this team")


class TeamDetailOut(TeamOut):
    members: list[MemberOut]

    @staticmethod
    def resolve_members(obj) -> list[dict]:
        return [
            {
                "id": membership.partner.id,
                "name": membership.partner.name,
                "kind": membership.partner.kind,
                "joined_on": membership.joined_on,
            }
            for membership in obj.memberships.all()
        ]


class PartnerDetailOut(PartnerOut):
    teams: list[Ref]

    @staticmethod
    def resolve_teams(obj) -> object:
        return obj.teams.all()


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    subdistrict: Ref
    community: Ref | None
    compound: Ref | None
    contact_name: str
    contact_phone_masked: str
    address: str
    description: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()


@router.get("/partners", response=Page[PartnerOut], summary="List partners")
def partners_list(
    request,
    paging: Query[PageIn],
    place: str | None = Query(None, description=PLACE_HELP),
    kind: PartnerKind | None = None,
    skill: str | None = Query(None, description="Skill name"),
    role: str | None = Query(None, description="Role name, e.g. 楼栋长"),
    status: PartnerStatus | None = None,
    q: str | None = Query(None, description="Part of the name"),
):
    qs = selectors.partner_list(
        request.auth,
        place=parse_place(place),
        kind=kind,
        skill=skill,
        role=role,
        status=status,
        search=q,
    )
    return paginate(qs, paging)


@router.get(
    "/partners/{partner_id}",
    response={200: PartnerDetailOut, 404: ErrorOut},
    summary="One partner with their teams",
)
def partner_detail(request, partner_id: int):
    partners = selectors.partner_list(request.auth).prefetch_related("teams")
    return get_or_404(partners, partner_id, _("Partner not found"))


@router.get("/teams", response=Page[TeamOut], summary="List teams")
def teams_list(
    request,
    paging: Query[PageIn],
    place: str | None = Query(None, description=PLACE_HELP),
    kind: TeamKind | None = None,
    q: str | None = Query(None, description="Part of the name"),
):
    qs = selectors.team_list(request.auth, place=parse_place(place), kind=kind, search=q)
    return paginate(qs, paging)


@router.get(
    "/teams/{team_id}",
    response={200: TeamDetailOut, 404: ErrorOut},
    summary="One team with its members",
)
def team_detail(request, team_id: int):
    memberships = TeamMembership.objects.select_related("partner").order_by("joined_on", "id")
    teams = selectors.team_list(request.auth).prefetch_related(
        Prefetch("memberships", queryset=memberships)
    )
    return get_or_404(teams, team_id, _("Team not found"))


@router.get("/organisations", response=Page[OrganisationOut], summary="List organisations")
def organisations_list(
    request,
    paging: Query[PageIn],
    place: str | None = Query(None, description=PLACE_HELP),
    kind: OrganisationKind | None = None,
    q: str | None = Query(None, description="Part of the name"),
):
    qs = selectors.organisation_list(request.auth, place=parse_place(place), kind=kind, search=q)
    return paginate(qs, paging)


@router.get(
    "/organisations/{organisation_id}",
    response={200: OrganisationOut, 404: ErrorOut},
    summary="One organisation",
)
def organisation_detail(request, organisation_id: int):
    return get_or_404(
        selectors.organisation_list(request.auth), organisation_id, _("Organisation not found")
    )

"""The community's own settings over the API (社区设置): one function per operation, each
calling the same service as the settings pages.

``router`` is mounted at the API root before the matters router, so that
``/matters/rules`` and ``/matters/deadline-policies`` are not taken for a matter id. The team
operations live on the partners router because ``GET /teams`` and ``GET /teams/{team_id}``
are already there, and django-ninja answers one path from one router only.

Lists answer 403 to those who may not see settings (residents, partners, grid workers);
an object outside the user's reach is 404; a visible object the user may not change is 403.
"""

import datetime as dt
from collections.abc import Callable

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

from gongzhi.configuration import rules, selectors, services
from gongzhi.configuration.models import JoinStatus, TeamJoinRequest
from gongzhi.configuration.services import ConfigError
from gongzhi.core.apischema import ApiError, ErrorOut, Page, PageIn, Ref, get_or_404, paginate
from gongzhi.partners.api import MemberOut, TeamOut
from gongzhi.partners.api import router as directory_router
from gongzhi.partners.models import Team, TeamMembership
from gongzhi.partners.selectors import team_list
from gongzhi.places.models import Community

router = Router(tags=["settings"])

REFUSED = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _call(service: Callable, **kwargs):
    try:
        return service(**kwargs)
    except ConfigError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None


def _viewer(request) -> None:
    if not rules.can_view(request.auth):
        raise ApiError(403, "forbidden", _("Only community staff may see the settings."))


def _list(request, qs: QuerySet, paging: PageIn) -> dict:
    _viewer(request)
    return paginate(qs, paging)


def _one(request, qs: QuerySet, pk: int):
    _viewer(request)
    return get_or_404(qs, pk, _("Not found"))


def _community(request, community_id: int | None) -> Community:
    """The community a new setting belongs to: the staff member's own, or (superusers) the
    one named."""
    _viewer(request)
    if community_id is None:
        community_id = rules.own_community_id(request.auth)
    if community_id is None:
        raise ApiError(400, "community_required", _("Name the community (community_id)."))
    return get_or_404(selectors.communities(request.auth), community_id, _("Not found"))


def _changes(data: Schema) -> dict:
    values = data.dict(exclude_unset=True)
    values.pop("community_id", None)
    return values


class CommunityIn(Schema):
    community_id: int | None = Field(
        None, description="Superusers only; staff always configure their own community"
    )


# ---- responsibility rules --------------------------------------------------------------------


class RuleIn(CommunityIn):
    tier: str | None = Field(None, description="small, big or hard")
    category: str | None = Field(None, description="A matter category, or empty for the tier")
    partner_kinds: list[str] | None = None
    role_codes: list[str] | None = None
    team_kinds: list[str] | None = None
    organisation_kinds: list[str] | None = None
    whistle_organisation_ids: list[int] | None = None
    whistle_response_hours: int | None = None
    match_skill: bool | None = None
    working_mode: str | None = Field(None, description="cooperate, deliberate or joint")
    propose_meeting: bool | None = None
    auto_assign: bool | None = None


class RuleOut(Schema):
    id: int
    community: Ref
    tier: str
    tier_label: str
    category: str
    category_label: str
    partner_kinds: list[str]
    role_codes: list[str]
    team_kinds: list[str]
    organisation_kinds: list[str]
    whistle_organisations: list[Ref]
    whistle_response_hours: int
    match_skill: bool
    working_mode: str
    propose_meeting: bool
    auto_assign: bool

    @staticmethod
    def resolve_tier_label(obj) -> str:
        return obj.get_tier_display()

    @staticmethod
    def resolve_category_label(obj) -> str:
        return obj.get_category_display() if obj.category else ""

    @staticmethod
    def resolve_role_codes(obj) -> list[str]:
        return sorted(role.code for role in obj.roles.all())

    @staticmethod
    def resolve_whistle_organisations(obj) -> list:
        return list(obj.whistle_organisations.all())


@router.get("/matters/rules", response={200: Page[RuleOut], 403: ErrorOut}, summary="责任清单")
def rules_list(request, paging: Query[PageIn]):
    return _list(request, selectors.responsibility_rules(request.auth), paging)


@router.post("/matters/rules", response={201: RuleOut, **REFUSED}, summary="Add a rule")
def rules_create(request, data: RuleIn):
    community = _community(request, data.community_id)
    rule = _call(
        services.responsibility_rule_create,
        actor=request.auth,
        community=community,
        values=_changes(data),
    )
    return 201, selectors.responsibility_rules(request.auth).get(pk=rule.pk)


@router.patch("/matters/rules/{rule_id}", response={200: RuleOut, **REFUSED}, summary="Change")
def rules_update(request, rule_id: int, data: RuleIn):
    rule = _one(request, selectors.responsibility_rules(request.auth), rule_id)
    _call(
        services.responsibility_rule_update, actor=request.auth, rule=rule, changes=_changes(data)
    )
    return selectors.responsibility_rules(request.auth).get(pk=rule.pk)


@router.delete("/matters/rules/{rule_id}", response={204: None, **REFUSED}, summary="Delete")
def rules_delete(request, rule_id: int):
    rule = _one(request, selectors.responsibility_rules(request.auth), rule_id)
    _call(services.responsibility_rule_delete, actor=request.auth, rule=rule)
    return 204, None


# ---- deadline policies -----------------------------------------------------------------------


class PolicyIn(CommunityIn):
    tier: str | None = None
    category: str | None = None
    acknowledge_hours: int | None = None
    resolve_days: int | None = None
    working_days: bool | None = None


class PolicyOut(Schema):
    id: int
    community: Ref | None
    tier: str
    category: str
    acknowledge_hours: int
    resolve_days: int
    working_days: bool


@router.get(
    "/matters/deadline-policies",
    response={200: Page[PolicyOut], 403: ErrorOut},
    summary="Deadline policies",
)
def policies_list(request, paging: Query[PageIn]):
    return _list(request, selectors.deadline_policies(request.auth), paging)


@router.post(
    "/matters/deadline-policies", response={201: PolicyOut, **REFUSED}, summary="Add a policy"
)
def policies_create(request, data: PolicyIn):
    community = _community(request, data.community_id)
    policy = _call(
        services.deadline_policy_create,
        actor=request.auth,
        community=community,
        values=_changes(data),
    )
    return 201, policy


@router.patch(
    "/matters/deadline-policies/{policy_id}", response={200: PolicyOut, **REFUSED}, summary="Change"
)
def policies_update(request, policy_id: int, data: PolicyIn):
    policy = _one(request, selectors.deadline_policies(request.auth), policy_id)
    return _call(
        services.deadline_policy_update, actor=request.auth, policy=policy, changes=_changes(data)
    )


@router.delete(
    "/matters/deadline-policies/{policy_id}", response={204: None, **REFUSED}, summary="Delete"
)
def policies_delete(request, policy_id: int):
    policy = _one(request, selectors.deadline_policies(request.auth), policy_id)
    _call(services.deadline_policy_delete, actor=request.auth, policy=policy)
    return 204, None


# ---- points-earning rules and star schemes ---------------------------------------------------


class EarningIn(CommunityIn):
    kind: str | None = Field(None, description="service, task, meeting, mediation, co_building")
    unit: str | None = Field(None, description="hour or task")
    points: int | None = None
    cap_per_activity: int | None = None
    publicity_days: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class EarningOut(Schema):
    id: int
    community: Ref
    kind: str
    unit: str
    points: int
    cap_per_activity: int | None
    publicity_days: int
    valid_from: dt.date
    valid_to: dt.date | None


@router.get(
    "/points/earning-rules", response={200: Page[EarningOut], 403: ErrorOut}, summary="Earning"
)
def earning_list(request, paging: Query[PageIn]):
    return _list(request, selectors.earning_rules(request.auth), paging)


@router.post("/points/earning-rules", response={201: EarningOut, **REFUSED}, summary="Add")
def earning_create(request, data: EarningIn):
    community = _community(request, data.community_id)
    rule = _call(
        services.earning_rule_create, actor=request.auth, community=community, values=_changes(data)
    )
    return 201, rule


@router.patch(
    "/points/earning-rules/{rule_id}",
    response={200: EarningOut, **REFUSED},
    summary="Change (a rule claims use is ended and a new one returned)",
)
def earning_update(request, rule_id: int, data: EarningIn):
    rule = _one(request, selectors.earning_rules(request.auth), rule_id)
    return _call(
        services.earning_rule_update, actor=request.auth, rule=rule, changes=_changes(data)
    )


@router.delete(
    "/points/earning-rules/{rule_id}",
    response={204: None, **REFUSED},
    summary="Delete (a rule claims use is ended yesterday instead)",
)
def earning_delete(request, rule_id: int):
    rule = _one(request, selectors.earning_rules(request.auth), rule_id)
    _call(services.earning_rule_delete, actor=request.auth, rule=rule)
    return 204, None


class StarIn(CommunityIn):
    thresholds: list[int] | None = Field(None, description="Hours for ★1, ★2 … increasing")
    publicity_days: int | None = None


class StarOut(Schema):
    id: int
    community: Ref
    thresholds: list[int]
    publicity_days: int


@router.get("/points/star-schemes", response={200: Page[StarOut], 403: ErrorOut}, summary="Stars")
def stars_list(request, paging: Query[PageIn]):
    return _list(request, selectors.star_schemes(request.auth), paging)


@router.post("/points/star-schemes", response={201: StarOut, **REFUSED}, summary="Add")
def stars_create(request, data: StarIn):
    community = _community(request, data.community_id)
    scheme = _call(
        services.star_scheme_create, actor=request.auth, community=community, values=_changes(data)
    )
    return 201, scheme


@router.patch("/points/star-schemes/{scheme_id}", response={200: StarOut, **REFUSED})
def stars_update(request, scheme_id: int, data: StarIn):
    scheme = _one(request, selectors.star_schemes(request.auth), scheme_id)
    return _call(
        services.star_scheme_update, actor=request.auth, scheme=scheme, changes=_changes(data)
    )


@router.delete("/points/star-schemes/{scheme_id}", response={204: None, **REFUSED})
def stars_delete(request, scheme_id: int):
    scheme = _one(request, selectors.star_schemes(request.auth), scheme_id)
    _call(services.star_scheme_delete, actor=request.auth, scheme=scheme)
    return 204, None


# ---- shop items ------------------------------------------------------------------------------


class ItemIn(CommunityIn):
    name: str | None = None
    description: str | None = None
    price: int | None = None
    stock: int | None = None
    per_person_limit: int | None = None
    pickup_days: int | None = None
    active: bool | None = None


class ItemOut(Schema):
    id: int
    community: Ref
    name: str
    description: str
    price: int
    stock: int
    per_person_limit: int | None
    pickup_days: int
    active: bool
    has_photo: bool

    @staticmethod
    def resolve_has_photo(obj) -> bool:
        return bool(obj.photo)


@router.get("/points/shop-items", response={200: Page[ItemOut], 403: ErrorOut}, summary="Items")
def items_list(request, paging: Query[PageIn]):
    return _list(request, selectors.shop_items(request.auth), paging)


@router.post("/points/shop-items", response={201: ItemOut, **REFUSED}, summary="Add an item")
def items_create(request, data: ItemIn):
    community = _community(request, data.community_id)
    item = _call(
        services.shop_item_create, actor=request.auth, community=community, values=_changes(data)
    )
    return 201, item


@router.patch("/points/shop-items/{item_id}", response={200: ItemOut, **REFUSED})
def items_update(request, item_id: int, data: ItemIn):
    item = _one(request, selectors.shop_items(request.auth), item_id)
    return _call(services.shop_item_update, actor=request.auth, item=item, changes=_changes(data))


@router.post(
    "/points/shop-items/{item_id}/photo",
    response={200: ItemOut, **REFUSED},
    summary="Upload the item's photo (JPEG, PNG or WebP, at most 2 MB)",
)
def items_photo(request, item_id: int, photo: File[UploadedFile]):
    item = _one(request, selectors.shop_items(request.auth), item_id)
    return _call(services.shop_item_update, actor=request.auth, item=item, changes={}, photo=photo)


@router.delete(
    "/points/shop-items/{item_id}",
    response={204: None, **REFUSED},
    summary="Delete (an item with orders is taken off sale instead)",
)
def items_delete(request, item_id: int):
    item = _one(request, selectors.shop_items(request.auth), item_id)
    _call(services.shop_item_delete, actor=request.auth, item=item)
    return 204, None


# ---- venues and public holidays --------------------------------------------------------------


class VenueIn(CommunityIn):
    name: str | None = None
    compound_id: int | None = None
    address: str | None = None
    capacity: int | None = None


class VenueOut(Schema):
    id: int
    community: Ref
    compound: Ref | None
    name: str
    address: str
    capacity: int | None


@router.get("/settings/venues", response={200: Page[VenueOut], 403: ErrorOut}, summary="Venues")
def venues_list(request, paging: Query[PageIn]):
    return _list(request, selectors.venues(request.auth), paging)


@router.post("/settings/venues", response={201: VenueOut, **REFUSED}, summary="Add a venue")
def venues_create(request, data: VenueIn):
    community = _community(request, data.community_id)
    venue = _call(
        services.venue_create, actor=request.auth, community=community, values=_changes(data)
    )
    return 201, venue


@router.patch("/settings/venues/{venue_id}", response={200: VenueOut, **REFUSED})
def venues_update(request, venue_id: int, data: VenueIn):
    venue = _one(request, selectors.venues(request.auth), venue_id)
    return _call(services.venue_update, actor=request.auth, venue=venue, changes=_changes(data))


@router.delete("/settings/venues/{venue_id}", response={204: None, **REFUSED})
def venues_delete(request, venue_id: int):
    venue = _one(request, selectors.venues(request.auth), venue_id)
    _call(services.venue_delete, actor=request.auth, venue=venue)
    return 204, None


class HolidayIn(Schema):
    date: dt.date | None = None
    name: str | None = None
    is_workday: bool | None = Field(None, description="True for a weekend working day (调休)")


class HolidayOut(Schema):
    id: int
    date: dt.date
    name: str
    is_workday: bool


@router.get("/settings/holidays", response={200: Page[HolidayOut], 403: ErrorOut})
def holidays_list(request, paging: Query[PageIn]):
    return _list(request, selectors.public_holidays(request.auth), paging)


@router.post("/settings/holidays", response={201: HolidayOut, **REFUSED})
def holidays_create(request, data: HolidayIn):
    _viewer(request)
    holiday = _call(
        services.public_holiday_create, actor=request.auth, values=data.dict(exclude_unset=True)
    )
    return 201, holiday


@router.patch("/settings/holidays/{holiday_id}", response={200: HolidayOut, **REFUSED})
def holidays_update(request, holiday_id: int, data: HolidayIn):
    holiday = _one(request, selectors.public_holidays(request.auth), holiday_id)
    return _call(
        services.public_holiday_update,
        actor=request.auth,
        holiday=holiday,
        changes=data.dict(exclude_unset=True),
    )


@router.delete("/settings/holidays/{holiday_id}", response={204: None, **REFUSED})
def holidays_delete(request, holiday_id: int):
    holiday = _one(request, selectors.public_holidays(request.auth), holiday_id)
    _call(services.public_holiday_delete, actor=request.auth, holiday=holiday)
    return 204, None


# ---- the change log --------------------------------------------------------------------------


class ChangeOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    community: Ref | None
    entity: str
    object_id: int
    action: str
    before: dict | None
    after: dict | None

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor.get_full_name() or obj.actor.username


@router.get("/settings/changes", response={200: Page[ChangeOut], 403: ErrorOut}, summary="Log")
def changes_list(request, paging: Query[PageIn]):
    return _list(request, selectors.changes(request.auth), paging)


# ---- teams (on the partners router, see the module docstring) --------------------------------


class TeamIn(CommunityIn):
    name: str | None = None
    kind: str | None = Field(None, description="volunteer or red")
    compound_id: int | None = None
    building_id: int | None = None
    leader_id: int | None = None
    focus: str | None = None


class MemberIn(Schema):
    partner_id: int


class JoinIn(Schema):
    note: str = Field("", max_length=200)


class JoinOut(Schema):
    id: int
    team: Ref
    partner: Ref
    note: str
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None


def _team(request, team_id: int) -> Team:
    return get_or_404(team_list(request.auth), team_id, _("Team not found"))


def _team_out(request, team: Team) -> Team:
    return selectors.teams(request.auth).get(pk=team.pk)


@directory_router.post("/teams", response={201: TeamOut, **REFUSED}, summary="Create a team")
def team_create(request, data: TeamIn):
    community = _community(request, data.community_id)
    team = _call(
        services.team_create, actor=request.auth, community=community, values=_changes(data)
    )
    return 201, _team_out(request, team)


@directory_router.patch("/teams/{team_id}", response={200: TeamOut, **REFUSED})
def team_update(request, team_id: int, data: TeamIn):
    _viewer(request)
    team = _team(request, team_id)
    team = _call(services.team_update, actor=request.auth, team=team, changes=_changes(data))
    return _team_out(request, team)


@directory_router.delete(
    "/teams/{team_id}",
    response={204: None, **REFUSED},
    summary="Dissolve a team without a work history",
)
def team_dissolve(request, team_id: int):
    _viewer(request)
    team = _team(request, team_id)
    _call(services.team_dissolve, actor=request.auth, team=team)
    return 204, None


@directory_router.get(
    "/teams/{team_id}/members", response={200: list[MemberOut], 404: ErrorOut}, summary="Members"
)
def team_members(request, team_id: int):
    team = _team(request, team_id)
    return [
        {
            "id": m.partner.id,
            "name": m.partner.name,
            "kind": m.partner.kind,
            "joined_on": m.joined_on,
        }
        for m in TeamMembership.objects.filter(team=team)
        .select_related("partner")
        .order_by("joined_on", "id")
    ]


@directory_router.post(
    "/teams/{team_id}/members", response={201: MemberOut, **REFUSED}, summary="Add a member"
)
def team_member_add(request, team_id: int, data: MemberIn):
    _viewer(request)
    team = _team(request, team_id)
    membership = _call(
        services.team_member_add, actor=request.auth, team=team, partner_id=data.partner_id
    )
    partner = membership.partner
    return 201, {
        "id": partner.id,
        "name": partner.name,
        "kind": partner.kind,
        "joined_on": membership.joined_on,
    }


@directory_router.delete(
    "/teams/{team_id}/members/{partner_id}", response={204: None, **REFUSED}, summary="Remove"
)
def team_member_remove(request, team_id: int, partner_id: int):
    _viewer(request)
    team = _team(request, team_id)
    _call(services.team_member_remove, actor=request.auth, team=team, partner_id=partner_id)
    return 204, None


@directory_router.get(
    "/teams/{team_id}/join-requests",
    response={200: list[JoinOut], 403: ErrorOut, 404: ErrorOut},
    summary="Requests to join the team (staff)",
)
def team_join_requests(request, team_id: int, status: JoinStatus | None = None):
    _viewer(request)
    team = _team(request, team_id)
    qs = selectors.join_requests(request.auth).filter(team=team)
    return list(qs.filter(status=status) if status else qs)


@directory_router.post(
    "/teams/{team_id}/join-requests",
    response={201: JoinOut, **REFUSED},
    summary="A partner asks to join the team",
)
def team_join_request_create(request, team_id: int, data: JoinIn):
    team = _team(request, team_id)
    return 201, _call(
        services.team_join_request_create, actor=request.auth, team=team, note=data.note
    )


def _join_request(request, team_id: int, request_id: int) -> TeamJoinRequest:
    _viewer(request)
    team = _team(request, team_id)
    return get_or_404(
        selectors.join_requests(request.auth).filter(team=team), request_id, _("Not found")
    )


@directory_router.post(
    "/teams/{team_id}/join-requests/{request_id}/accept", response={200: JoinOut, **REFUSED}
)
def team_join_request_accept(request, team_id: int, request_id: int):
    join = _join_request(request, team_id, request_id)
    return _call(services.team_join_request_accept, actor=request.auth, request=join)


@directory_router.post(
    "/teams/{team_id}/join-requests/{request_id}/decline", response={200: JoinOut, **REFUSED}
)
def team_join_request_decline(request, team_id: int, request_id: int):
    join = _join_request(request, team_id, request_id)
    return _call(services.team_join_request_decline, actor=request.auth, request=join)

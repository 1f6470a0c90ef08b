"""The community's own settings over the API (社区设置), calling the same services as the
settings pages. Each kind of setting is one ``Endpoint`` (paths, explicit In/Out schemas, its
``services.Setting``) from which ``_register`` makes its list / add / change / delete
operations; the shop photo, the change log, team members and join requests are written out.

``router`` is mounted at the API root before the matters router, so that
``/matters/rules`` and ``/matters/deadline-policies`` are not taken for a matter id. The team
operations live on the partners router because ``GET /teams`` and ``GET /teams/{team_id}``
are already there, and django-ninja answers one path from one router only.

Lists answer 403 to those who may not see settings (residents, partners, grid workers);
an object outside the user's reach is 404; a visible object the user may not change is 403.
"""

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

from gongzhi.configuration import rules, selectors, services
from gongzhi.configuration.models import JoinStatus, TeamJoinRequest
from gongzhi.core.apischema import (
    REFUSED,
    ApiError,
    ErrorOut,
    Page,
    PageIn,
    Ref,
    get_or_404,
    paginate,
)
from gongzhi.partners.api import MemberOut, TeamOut
from gongzhi.partners.api import router as directory_router
from gongzhi.partners.models import Team, TeamMembership
from gongzhi.partners.selectors import team_list
from gongzhi.places.models import Community

router = Router(tags=["settings"])


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


# ---- the same four operations for every kind of setting ---------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One kind of setting over the API: its paths, its explicit schemas and its service spec.

    ``name`` and ``id_name`` keep each generated operation's function name (hence its
    operationId and URL name) and path parameter as they were when written by hand, so the
    OpenAPI document does not change.
    """

    name: str  # rules -> rules_list, rules_create, rules_update, rules_delete
    path: str
    id_name: str
    setting: services.Setting
    rows: Callable  # user -> the scoped queryset listed, searched and answered from
    schema_in: type[Schema]
    schema_out: type[Schema]
    summaries: dict = field(default_factory=dict)  # operation -> OpenAPI summary
    router: Router = router
    operations: tuple = ("list", "create", "update", "delete")
    delete_name: str = "delete"
    find: Callable | None = None  # (request, pk) -> the object, if not found in ``rows``

    def get(self, request, pk: int):
        if self.find is not None:
            return self.find(request, pk)
        return _one(request, self.rows(request.auth), pk)

    def answer(self, request, obj):
        """The object as the list shows it (annotations and prefetches included)."""
        return self.rows(request.auth).get(pk=obj.pk)


def _operation(fn: Callable, name: str, **params) -> Callable:
    """Name a generated operation and declare its parameters (``request`` first) for
    django-ninja, which reads them from the signature."""
    fn.__name__ = fn.__qualname__ = name
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    fn.__signature__ = inspect.Signature(
        [inspect.Parameter("request", kind)]
        + [inspect.Parameter(n, kind, annotation=t) for n, t in params.items()]
    )
    return fn


def _register(ep: Endpoint) -> None:
    one = f"{ep.path}/{{{ep.id_name}}}"

    def list_(request, paging):
        return _list(request, ep.rows(request.auth), paging)

    def create(request, data):
        if ep.setting.national:
            _viewer(request)
            community = None
        else:
            community = _community(request, data.community_id)
        obj = services.setting_create(
            setting=ep.setting,
            actor=request.auth,
            community=community,
            values=_changes(data),
        )
        return 201, ep.answer(request, obj)

    def update(request, data, **path):
        obj = services.setting_update(
            setting=ep.setting,
            actor=request.auth,
            obj=ep.get(request, path[ep.id_name]),
            values=_changes(data),
        )
        return ep.answer(request, obj)

    def delete(request, **path):
        obj = ep.get(request, path[ep.id_name])
        services.setting_delete(setting=ep.setting, actor=request.auth, obj=obj)
        return 204, None

    if "list" in ep.operations:
        ep.router.get(
            ep.path,
            response={200: Page[ep.schema_out], 403: ErrorOut},
            summary=ep.summaries.get("list"),
        )(_operation(list_, f"{ep.name}_list", paging=Query[PageIn]))
    if "create" in ep.operations:
        ep.router.post(
            ep.path, response={201: ep.schema_out, **REFUSED}, summary=ep.summaries.get("create")
        )(_operation(create, f"{ep.name}_create", data=ep.schema_in))
    if "update" in ep.operations:
        ep.router.patch(
            one, response={200: ep.schema_out, **REFUSED}, summary=ep.summaries.get("update")
        )(_operation(update, f"{ep.name}_update", **{ep.id_name: int, "data": ep.schema_in}))
    if "delete" in ep.operations:
        ep.router.delete(one, response={204: None, **REFUSED}, summary=ep.summaries.get("delete"))(
            _operation(delete, f"{ep.name}_{ep.delete_name}", **{ep.id_name: int})
        )


# ---- the schemas of each kind of setting -----------------------------------------------------


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


class StarIn(CommunityIn):
    thresholds: list[int] | None = Field(None, description="Hours for ★1, ★2 … increasing")
    publicity_days: int | None = None


class SettingsStarOut(Schema):
    id: int
    community: Ref
    thresholds: list[int]
    publicity_days: int


class SettingsItemIn(CommunityIn):
    name: str | None = None
    description: str | None = None
    price: int | None = None
    stock: int | None = None
    per_person_limit: int | None = None
    pickup_days: int | None = None
    active: bool | None = None


class SettingsItemOut(Schema):
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


class SettingsVenueIn(CommunityIn):
    name: str | None = None
    compound_id: int | None = None
    address: str | None = None
    capacity: int | None = None


class SettingsVenueOut(Schema):
    id: int
    community: Ref
    compound: Ref | None
    name: str
    address: str
    capacity: int | None


class HolidayIn(Schema):
    date: dt.date | None = None
    name: str | None = None
    is_workday: bool | None = Field(None, description="True for a weekend working day (调休)")


class HolidayOut(Schema):
    id: int
    date: dt.date
    name: str
    is_workday: bool


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


def _visible_team(request, team_id: int) -> Team:
    """A team the user may look at, for the staff operations on it."""
    _viewer(request)
    return _team(request, team_id)


ENDPOINTS = (
    Endpoint(
        name="rules",
        path="/matters/rules",
        id_name="rule_id",
        setting=services.RESPONSIBILITY_RULE,
        rows=selectors.responsibility_rules,
        schema_in=RuleIn,
        schema_out=RuleOut,
        summaries={
            "list": "责任清单",
            "create": "Add a rule",
            "update": "Change",
            "delete": "Delete",
        },
    ),
    Endpoint(
        name="policies",
        path="/matters/deadline-policies",
        id_name="policy_id",
        setting=services.DEADLINE_POLICY,
        rows=selectors.deadline_policies,
        schema_in=PolicyIn,
        schema_out=PolicyOut,
        summaries={
            "list": "Deadline policies",
            "create": "Add a policy",
            "update": "Change",
            "delete": "Delete",
        },
    ),
    Endpoint(
        name="earning",
        path="/points/earning-rules",
        id_name="rule_id",
        setting=services.EARNING_RULE,
        rows=selectors.earning_rules,
        schema_in=EarningIn,
        schema_out=EarningOut,
        summaries={
            "list": "Earning",
            "create": "Add",
            "update": "Change (a rule claims use is ended and a new one returned)",
            "delete": "Delete (a rule claims use is ended yesterday instead)",
        },
    ),
    Endpoint(
        name="stars",
        path="/points/star-schemes",
        id_name="scheme_id",
        setting=services.STAR_SCHEME,
        rows=selectors.star_schemes,
        schema_in=StarIn,
        schema_out=SettingsStarOut,
        summaries={"list": "Stars", "create": "Add"},
    ),
    Endpoint(
        name="items",
        path="/points/shop-items",
        id_name="item_id",
        setting=services.SHOP_ITEM,
        rows=selectors.shop_items,
        schema_in=SettingsItemIn,
        schema_out=SettingsItemOut,
        summaries={
            "list": "Items",
            "create": "Add an item",
            "delete": "Delete (an item with orders is taken off sale instead)",
        },
    ),
    Endpoint(
        name="venues",
        path="/settings/venues",
        id_name="venue_id",
        setting=services.VENUE,
        rows=selectors.venues,
        schema_in=SettingsVenueIn,
        schema_out=SettingsVenueOut,
        summaries={"list": "Venues", "create": "Add a venue"},
    ),
    Endpoint(
        name="holidays",
        path="/settings/holidays",
        id_name="holiday_id",
        setting=services.PUBLIC_HOLIDAY,
        rows=selectors.public_holidays,
        schema_in=HolidayIn,
        schema_out=HolidayOut,
    ),
    # Teams are listed by the partners router; only their changes are added here.
    Endpoint(
        name="team",
        path="/teams",
        id_name="team_id",
        setting=services.TEAM,
        rows=selectors.teams,
        schema_in=TeamIn,
        schema_out=TeamOut,
        summaries={"create": "Create a team", "delete": "Dissolve a team without a work history"},
        router=directory_router,
        operations=("create", "update", "delete"),
        delete_name="dissolve",
        find=_visible_team,
    ),
)

for endpoint in ENDPOINTS:
    _register(endpoint)


# ---- a shop item's photo --------------------------------------------------------------------


@router.post(
    "/points/shop-items/{item_id}/photo",
    response={200: SettingsItemOut, **REFUSED},
    summary="Upload the item's photo (JPEG, PNG or WebP, at most 2 MB)",
)
def items_photo(request, item_id: int, photo: File[UploadedFile]):
    item = _one(request, selectors.shop_items(request.auth), item_id)
    attach = services.photo_attachment(photo)
    return services.setting_update(
        setting=services.SHOP_ITEM,
        actor=request.auth,
        obj=item,
        values={},
        attach=attach,
    )


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


# ---- team members and join requests (on the partners router, see the module docstring) ------


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
    team = _visible_team(request, team_id)
    membership = services.team_member_add(actor=request.auth, team=team, partner_id=data.partner_id)
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
    team = _visible_team(request, team_id)
    services.team_member_remove(actor=request.auth, team=team, partner_id=partner_id)
    return 204, None


@directory_router.get(
    "/teams/{team_id}/join-requests",
    response={200: list[JoinOut], 403: ErrorOut, 404: ErrorOut},
    summary="Requests to join the team (staff)",
)
def team_join_requests(request, team_id: int, status: JoinStatus | None = None):
    team = _visible_team(request, team_id)
    qs = selectors.join_requests(request.auth).filter(team=team)
    return list(qs.filter(status=status) if status else qs)


@directory_router.post(
    "/teams/{team_id}/join-requests",
    response={201: JoinOut, **REFUSED},
    summary="A partner asks to join the team",
)
def team_join_request_create(request, team_id: int, data: JoinIn):
    team = _team(request, team_id)
    return 201, services.team_join_request_create(actor=request.auth, team=team, note=data.note)


def _join_request(request, team_id: int, request_id: int) -> TeamJoinRequest:
    team = _visible_team(request, team_id)
    return get_or_404(
        selectors.join_requests(request.auth).filter(team=team), request_id, _("Not found")
    )


@directory_router.post(
    "/teams/{team_id}/join-requests/{request_id}/accept", response={200: JoinOut, **REFUSED}
)
def team_join_request_accept(request, team_id: int, request_id: int):
    join = _join_request(request, team_id, request_id)
    return services.team_join_request_accept(actor=request.auth, request=join)


@directory_router.post(
    "/teams/{team_id}/join-requests/{request_id}/decline", response={200: JoinOut, **REFUSED}
)
def team_join_request_decline(request, team_id: int, request_id: int):
    join = _join_request(request, team_id, request_id)
    return services.team_join_request_decline(actor=request.auth, request=join)

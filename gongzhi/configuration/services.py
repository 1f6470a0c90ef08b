"""Every change to a community's settings: validate, write, append a ``ConfigChange``.

Each service takes the acting user and either the community (create) or the object (update,
delete); values come as a dict of field names, the same for the web form and the API, and
are checked here so that both answer with the same Chinese message. A refused change raises
``ConfigError`` before anything is written.

What already happened keeps the rule it was made under:

* matters store their deadlines (``ack_due_at``, ``due_at``) when they are submitted, and the
  route step records the rule's id, so editing or deleting a rule or a policy only affects the
  next matter;
* a points claim stores its points, but an amendment of the service hours recomputes them with
  the claim's rule; so an earning rule that claims refer to is never edited: the change ends
  it yesterday and starts a new rule today (deleting it ends it yesterday too);
* star awards store their level; shop orders store their unit price.
"""

import datetime as dt
import json
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.configuration import rules
from gongzhi.configuration.models import (
    Action,
    ConfigChange,
    Entity,
    JoinStatus,
    TeamJoinRequest,
)
from gongzhi.matters.models import Category, DeadlinePolicy, ResponsibilityRule, Tier, WorkingMode
from gongzhi.matters.routing import default_rules
from gongzhi.meetings import services as meeting_services
from gongzhi.meetings.models import PublicHoliday, Venue
from gongzhi.partners.models import (
    Organisation,
    OrganisationKind,
    Partner,
    PartnerKind,
    PartnerStatus,
    Role,
    Team,
    TeamKind,
    TeamMembership,
)
from gongzhi.places.models import Building, Community, Compound
from gongzhi.points.models import ShopItem
from gongzhi.volunteering.models import ActivityKind, EarningRule, EarningUnit, StarScheme

PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class ConfigError(Exception):
    """A refused change. ``code`` is stable for API clients; ``message`` is translated."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# ---- shared steps ----------------------------------------------------------------------------


def _forbidden() -> ConfigError:
    return ConfigError("forbidden", _("You may not change the settings of this community."), 403)


def _require(actor, community_id: int | None) -> None:
    if not rules.can_configure(actor, community_id):
        raise _forbidden()


def snapshot(obj) -> dict:
    """The object's fields (and many-to-many ids) as JSON, for the before/after of a change."""
    data = {}
    for field in obj._meta.concrete_fields:
        value = field.value_from_object(obj)
        data[field.attname] = value.name if isinstance(value, FieldFile) else value
    for field in obj._meta.many_to_many:
        data[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _record(*, actor, community_id, entity, object_id, action, before=None, after=None):
    return ConfigChange.objects.create(
        community_id=community_id,
        actor=actor,
        at=timezone.now(),
        entity=entity,
        object_id=object_id,
        action=action,
        before=before,
        after=after,
    )


def _known(values: dict, allowed: set[str]) -> None:
    unknown = set(values) - allowed
    if unknown:
        raise ConfigError(
            "unknown_field",
            _("Unknown field: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
        )


def _choice(value, choices, message: str) -> str:
    if value not in choices.values:
        raise ConfigError("invalid", message % {"value": value})
    return value


def _kinds(values, choices, message: str) -> list[str]:
    values = list(values or [])
    for value in values:
        _choice(value, choices, message)
    return sorted(set(values))


def _whole(value, message: str, *, minimum: int = 1, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError("invalid", message)
    return value


def _text(value, message: str, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ConfigError("invalid", message)
    return value[:max_length]


def _delete_or_refuse(obj, message: str) -> None:
    try:
        obj.delete()
    except ProtectedError:
        raise ConfigError("in_use", message, 409) from None


def _unique(fn, message: str):
    """Run a write that may hit a unique constraint; a clash becomes a refused change."""
    try:
        with transaction.atomic():
            return fn()
    except IntegrityError:
        raise ConfigError("duplicate", message, 409) from None


# ---- responsibility rules (责任清单) ----------------------------------------------------------

RULE_FIELDS = {
    "tier",
    "category",
    "partner_kinds",
    "role_codes",
    "team_kinds",
    "organisation_kinds",
    "whistle_organisation_ids",
    "whistle_response_hours",
    "match_skill",
    "working_mode",
    "propose_meeting",
    "auto_assign",
}


def _rule_current(rule: ResponsibilityRule) -> dict:
    return {
        "tier": rule.tier,
        "category": rule.category,
        "partner_kinds": rule.partner_kinds,
        "role_codes": list(rule.roles.values_list("code", flat=True)),
        "team_kinds": rule.team_kinds,
        "organisation_kinds": rule.organisation_kinds,
        "whistle_organisation_ids": list(rule.whistle_organisations.values_list("pk", flat=True)),
        "whistle_response_hours": rule.whistle_response_hours,
        "match_skill": rule.match_skill,
        "working_mode": rule.working_mode,
        "propose_meeting": rule.propose_meeting,
        "auto_assign": rule.auto_assign,
    }


def _rule_clean(community: Community, values: dict) -> tuple[dict, list, list]:
    tier = _choice(values.get("tier"), Tier, _("Unknown tier: %(value)s"))
    category = values.get("category") or ""
    if category:
        _choice(category, Category, _("Unknown category: %(value)s"))
    codes = sorted(set(values.get("role_codes") or []))
    roles = list(Role.objects.filter(code__in=codes))
    if len(roles) != len(codes):
        missing = sorted(set(codes) - {role.code for role in roles})
        raise ConfigError("invalid", _("Unknown role: %(value)s") % {"value": ", ".join(missing)})
    org_ids = sorted(set(values.get("whistle_organisation_ids") or []))
    organisations = list(
        Organisation.objects.filter(pk__in=org_ids).filter(
            Q(community=community) | Q(community__isnull=True, subdistrict=community.subdistrict)
        )
    )
    if len(organisations) != len(org_ids):
        raise ConfigError(
            "invalid",
            _("Whistle only to organisations of this community or of its subdistrict."),
        )
    default = next(d for d in default_rules() if d["tier"] == tier)
    fields = {
        "tier": tier,
        "category": category,
        "partner_kinds": _kinds(
            values.get("partner_kinds"), PartnerKind, _("Unknown partner kind: %(value)s")
        ),
        "team_kinds": _kinds(values.get("team_kinds"), TeamKind, _("Unknown team kind: %(value)s")),
        "organisation_kinds": _kinds(
            values.get("organisation_kinds"),
            OrganisationKind,
            _("Unknown organisation kind: %(value)s"),
        ),
        "whistle_response_hours": _whole(
            values.get("whistle_response_hours", 72),
            _("The whistle answer time must be a whole number of hours, at least 1."),
        ),
        "match_skill": bool(values.get("match_skill")),
        "working_mode": _choice(
            values.get("working_mode") or default["working_mode"],
            WorkingMode,
            _("Unknown working mode: %(value)s"),
        ),
        "propose_meeting": bool(values.get("propose_meeting")),
        "auto_assign": bool(values.get("auto_assign")),
    }
    return fields, roles, organisations


def _rule_taken() -> str:
    return _("This community already has a rule for that tier and category.")


def _rule_save(rule: ResponsibilityRule, fields: dict, roles, organisations) -> None:
    for name, value in fields.items():
        setattr(rule, name, value)
    _unique(rule.save, _rule_taken())
    rule.roles.set(roles)
    rule.whistle_organisations.set(organisations)


@transaction.atomic
def responsibility_rule_create(*, actor, community: Community, values: dict) -> ResponsibilityRule:
    _require(actor, community.pk)
    _known(values, RULE_FIELDS)
    fields, roles, organisations = _rule_clean(community, values)
    rule = ResponsibilityRule(community=community)
    _rule_save(rule, fields, roles, organisations)
    _record(
        actor=actor,
        community_id=community.pk,
        entity=Entity.RESPONSIBILITY_RULE,
        object_id=rule.pk,
        action=Action.CREATE,
        after=snapshot(rule),
    )
    return rule


@transaction.atomic
def responsibility_rule_update(
    *, actor, rule: ResponsibilityRule, changes: dict
) -> ResponsibilityRule:
    _require(actor, rule.community_id)
    _known(changes, RULE_FIELDS)
    rule = ResponsibilityRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule)
    fields, roles, organisations = _rule_clean(rule.community, _rule_current(rule) | changes)
    _rule_save(rule, fields, roles, organisations)
    _record(
        actor=actor,
        community_id=rule.community_id,
        entity=Entity.RESPONSIBILITY_RULE,
        object_id=rule.pk,
        action=Action.UPDATE,
        before=before,
        after=snapshot(rule),
    )
    return rule


@transaction.atomic
def responsibility_rule_delete(*, actor, rule: ResponsibilityRule) -> None:
    """Matters routed by the rule keep its id in their history; nothing else refers to it."""
    _require(actor, rule.community_id)
    before, pk = snapshot(rule), rule.pk
    rule.delete()
    _record(
        actor=actor,
        community_id=rule.community_id,
        entity=Entity.RESPONSIBILITY_RULE,
        object_id=pk,
        action=Action.DELETE,
        before=before,
    )


# ---- deadline policies -----------------------------------------------------------------------

POLICY_FIELDS = {"tier", "category", "acknowledge_hours", "resolve_days", "working_days"}


def _policy_clean(values: dict) -> dict:
    category = values.get("category") or ""
    if category:
        _choice(category, Category, _("Unknown category: %(value)s"))
    return {
        "tier": _choice(values.get("tier"), Tier, _("Unknown tier: %(value)s")),
        "category": category,
        "acknowledge_hours": _whole(
            values.get("acknowledge_hours", 24),
            _("The time to acknowledge must be a whole number of hours, at least 1."),
        ),
        "resolve_days": _whole(
            values.get("resolve_days"),
            _("The deadline must be a whole number of days, at least 1."),
        ),
        "working_days": bool(values.get("working_days")),
    }


def _policy_save(policy: DeadlinePolicy, fields: dict) -> None:
    for name, value in fields.items():
        setattr(policy, name, value)
    _unique(policy.save, _("This community already has a deadline for that tier and category."))


@transaction.atomic
def deadline_policy_create(*, actor, community: Community, values: dict) -> DeadlinePolicy:
    _require(actor, community.pk)
    _known(values, POLICY_FIELDS)
    policy = DeadlinePolicy(community=community)
    _policy_save(policy, _policy_clean(values))
    _record(
        actor=actor,
        community_id=community.pk,
        entity=Entity.DEADLINE_POLICY,
        object_id=policy.pk,
        action=Action.CREATE,
        after=snapshot(policy),
    )
    return policy


@transaction.atomic
def deadline_policy_update(*, actor, policy: DeadlinePolicy, changes: dict) -> DeadlinePolicy:
    """Only the next matters get the new deadline: submitted ones stored theirs."""
    _require(actor, policy.community_id)
    _known(changes, POLICY_FIELDS)
    policy = DeadlinePolicy.objects.select_for_update().get(pk=policy.pk)
    before = snapshot(policy)
    current = {name: getattr(policy, name) for name in POLICY_FIELDS}
    _policy_save(policy, _policy_clean(current | changes))
    _record(
        actor=actor,
        community_id=policy.community_id,
        entity=Entity.DEADLINE_POLICY,
        object_id=policy.pk,
        action=Action.UPDATE,
        before=before,
        after=snapshot(policy),
    )
    return policy


@transaction.atomic
def deadline_policy_delete(*, actor, policy: DeadlinePolicy) -> None:
    _require(actor, policy.community_id)
    before, pk = snapshot(policy), policy.pk
    policy.delete()
    _record(
        actor=actor,
        community_id=policy.community_id,
        entity=Entity.DEADLINE_POLICY,
        object_id=pk,
        action=Action.DELETE,
        before=before,
    )


# ---- points-earning rules and star schemes ---------------------------------------------------

EARNING_FIELDS = {
    "kind",
    "unit",
    "points",
    "cap_per_activity",
    "publicity_days",
    "valid_from",
    "valid_to",
}


def _date(value, message: str, *, optional: bool = False) -> dt.date | None:
    if value in (None, "") and optional:
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ConfigError("invalid", message) from None
    if not isinstance(value, dt.date):
        raise ConfigError("invalid", message)
    return value


def _earning_clean(values: dict) -> dict:
    fields = {
        "kind": _choice(values.get("kind"), ActivityKind, _("Unknown activity kind: %(value)s")),
        "unit": _choice(values.get("unit"), EarningUnit, _("Unknown unit: %(value)s")),
        "points": _whole(values.get("points"), _("Points must be a whole number, at least 1.")),
        "cap_per_activity": _whole(
            values.get("cap_per_activity"),
            _("The cap per activity must be a whole number, at least 1, or empty."),
            optional=True,
        ),
        "publicity_days": _whole(
            values.get("publicity_days", 7),
            _("The publicity period must be a whole number of days, 0 or more."),
            minimum=0,
        ),
        "valid_from": _date(
            values.get("valid_from") or timezone.localdate(),
            _("Give the first day as a date, for example 2025-01-01."),
        ),
        "valid_to": _date(
            values.get("valid_to"),
            _("Give the last day as a date, for example 2025-12-31, or leave it empty."),
            optional=True,
        ),
    }
    if fields["publicity_days"] > 60:
        raise ConfigError("invalid", _("The publicity period may be at most 60 days."))
    if fields["valid_to"] is not None and fields["valid_to"] < fields["valid_from"]:
        raise ConfigError("invalid", _("The last day must not be before the first day."))
    return fields


def _earning_record(actor, rule, action, before=None):
    _record(
        actor=actor,
        community_id=rule.community_id,
        entity=Entity.EARNING_RULE,
        object_id=rule.pk,
        action=action,
        before=before,
        after=snapshot(rule),
    )


@transaction.atomic
def earning_rule_create(*, actor, community: Community, values: dict) -> EarningRule:
    _require(actor, community.pk)
    _known(values, EARNING_FIELDS)
    rule = EarningRule.objects.create(community=community, **_earning_clean(values))
    _earning_record(actor, rule, Action.CREATE)
    return rule


def _end_yesterday(actor, rule: EarningRule) -> None:
    """End a rule that claims refer to: it keeps its values for them (see the module doc)."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    if rule.valid_from > yesterday:
        raise ConfigError(
            "in_use",
            _("Claims already use this rule since today; add a new rule from a later day instead."),
            409,
        )
    before = snapshot(rule)
    rule.valid_to = min(rule.valid_to or yesterday, yesterday)
    rule.save(update_fields=["valid_to"])
    _earning_record(actor, rule, Action.RETIRE, before)


@transaction.atomic
def earning_rule_update(*, actor, rule: EarningRule, changes: dict) -> EarningRule:
    """Edit in place while no claim refers to the rule; otherwise end it and start a new one
    today with the changes (returned), so past claims keep theirs."""
    _require(actor, rule.community_id)
    _known(changes, EARNING_FIELDS)
    rule = EarningRule.objects.select_for_update().get(pk=rule.pk)
    current = {name: getattr(rule, name) for name in EARNING_FIELDS}
    if not rule.pointsclaim_set.exists():
        fields = _earning_clean(current | changes)
        before = snapshot(rule)
        for name, value in fields.items():
            setattr(rule, name, value)
        rule.save()
        _earning_record(actor, rule, Action.UPDATE, before)
        return rule
    today = timezone.localdate()
    fields = _earning_clean(current | {"valid_from": today} | changes)
    fields["valid_from"] = max(fields["valid_from"], today)
    if fields["valid_to"] is not None and fields["valid_to"] < fields["valid_from"]:
        raise ConfigError("invalid", _("The last day must not be before the first day."))
    _end_yesterday(actor, rule)
    successor = EarningRule.objects.create(community_id=rule.community_id, **fields)
    _earning_record(actor, successor, Action.CREATE)
    return successor


@transaction.atomic
def earning_rule_delete(*, actor, rule: EarningRule) -> None:
    """Deleted while unused; a rule claims refer to is ended yesterday instead."""
    _require(actor, rule.community_id)
    rule = EarningRule.objects.select_for_update().get(pk=rule.pk)
    if rule.pointsclaim_set.exists():
        _end_yesterday(actor, rule)
        return
    before, pk = snapshot(rule), rule.pk
    rule.delete()
    _record(
        actor=actor,
        community_id=rule.community_id,
        entity=Entity.EARNING_RULE,
        object_id=pk,
        action=Action.DELETE,
        before=before,
    )


STAR_FIELDS = {"thresholds", "publicity_days"}


def _star_clean(values: dict) -> dict:
    scheme = StarScheme(thresholds=values.get("thresholds"))
    try:
        scheme.clean()
    except Exception as exc:  # the model's own ValidationError, with its translated message
        raise ConfigError("invalid", exc.messages[0]) from None
    return {
        "thresholds": scheme.thresholds,
        "publicity_days": _whole(
            values.get("publicity_days", 7),
            _("The publicity period must be a whole number of days, 0 or more."),
            minimum=0,
        ),
    }


@transaction.atomic
def star_scheme_create(*, actor, community: Community, values: dict) -> StarScheme:
    _require(actor, community.pk)
    _known(values, STAR_FIELDS)
    fields = _star_clean(values)
    scheme = _unique(
        lambda: StarScheme.objects.create(community=community, **fields),
        _("This community already has star levels; change them instead."),
    )
    _record(
        actor=actor,
        community_id=community.pk,
        entity=Entity.STAR_SCHEME,
        object_id=scheme.pk,
        action=Action.CREATE,
        after=snapshot(scheme),
    )
    return scheme


@transaction.atomic
def star_scheme_update(*, actor, scheme: StarScheme, changes: dict) -> StarScheme:
    """New thresholds count from the next review; stars already awarded keep their level."""
    _require(actor, scheme.community_id)
    _known(changes, STAR_FIELDS)
    scheme = StarScheme.objects.select_for_update().get(pk=scheme.pk)
    before = snapshot(scheme)
    current = {"thresholds": scheme.thresholds, "publicity_days": scheme.publicity_days}
    for name, value in _star_clean(current | changes).items():
        setattr(scheme, name, value)
    scheme.save()
    _record(
        actor=actor,
        community_id=scheme.community_id,
        entity=Entity.STAR_SCHEME,
        object_id=scheme.pk,
        action=Action.UPDATE,
        before=before,
        after=snapshot(scheme),
    )
    return scheme


@transaction.atomic
def star_scheme_delete(*, actor, scheme: StarScheme) -> None:
    _require(actor, scheme.community_id)
    before, pk = snapshot(scheme), scheme.pk
    _delete_or_refuse(
        scheme, _("Stars were already awarded under these levels; change them instead.")
    )
    _record(
        actor=actor,
        community_id=scheme.community_id,
        entity=Entity.STAR_SCHEME,
        object_id=pk,
        action=Action.DELETE,
        before=before,
    )


# ---- teams and their members -----------------------------------------------------------------

TEAM_FIELDS = {"name", "kind", "compound_id", "building_id", "leader_id", "focus"}


def _team_clean(community: Community, values: dict) -> dict:
    fields = {
        "name": _text(values.get("name"), _("Give the team a name."), max_length=60),
        "kind": _choice(values.get("kind"), TeamKind, _("Unknown team kind: %(value)s")),
        "focus": _text(values.get("focus"), "", max_length=200, required=False),
        "compound": None,
        "building": None,
        "leader": None,
    }
    if values.get("compound_id"):
        fields["compound"] = Compound.objects.filter(
            pk=values["compound_id"], community=community
        ).first()
        if fields["compound"] is None:
            raise ConfigError("invalid", _("The compound is not in this community."))
    if values.get("building_id"):
        fields["building"] = Building.objects.filter(
            pk=values["building_id"], compound__community=community
        ).first()
        if fields["building"] is None:
            raise ConfigError("invalid", _("The building is not in this community."))
        fields["compound"] = fields["building"].compound
    if values.get("leader_id"):
        fields["leader"] = _partner_of(community, values["leader_id"])
    return fields


def _partner_of(community: Community, partner_id) -> Partner:
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None or partner.community_id != community.pk:
        raise ConfigError("other_community", _("This partner is not of this community."))
    if partner.status != PartnerStatus.ACTIVE:
        raise ConfigError("inactive", _("This partner is no longer active."))
    return partner


def _team_save(team: Team, fields: dict) -> None:
    for name, value in fields.items():
        setattr(team, name, value)
    _unique(team.save, _("This community already has a team of that name."))


def _team_record(actor, team, action, *, object_id=None, before=None, after=None, entity=None):
    _record(
        actor=actor,
        community_id=team.community_id,
        entity=entity or Entity.TEAM,
        object_id=object_id or team.pk,
        action=action,
        before=before,
        after=after,
    )


@transaction.atomic
def team_create(*, actor, community: Community, values: dict) -> Team:
    _require(actor, community.pk)
    _known(values, TEAM_FIELDS)
    team = Team(community=community)
    _team_save(team, _team_clean(community, values))
    _team_record(actor, team, Action.CREATE, after=snapshot(team))
    return team


@transaction.atomic
def team_update(*, actor, team: Team, changes: dict) -> Team:
    _require(actor, team.community_id)
    _known(changes, TEAM_FIELDS)
    team = Team.objects.select_for_update().get(pk=team.pk)
    before = snapshot(team)
    current = {name: getattr(team, name) for name in TEAM_FIELDS}
    _team_save(team, _team_clean(team.community, current | changes))
    _team_record(actor, team, Action.UPDATE, before=before, after=snapshot(team))
    return team


@transaction.atomic
def team_dissolve(*, actor, team: Team) -> None:
    """Dissolve a team without a history. A team that owned matters, organised activities or
    took meeting actions stays (those records name it); staff remove its members instead."""
    _require(actor, team.community_id)
    before, pk = snapshot(team), team.pk
    _delete_or_refuse(
        team,
        _("This team has a work history and cannot be dissolved; remove its members instead."),
    )
    _team_record(actor, team, Action.DELETE, object_id=pk, before=before)


def _membership_add(actor, team: Team, partner: Partner) -> TeamMembership:
    membership = _unique(
        lambda: TeamMembership.objects.create(
            team=team, partner=partner, joined_on=timezone.localdate()
        ),
        _("This partner is already a member of the team."),
    )
    _team_record(
        actor,
        team,
        Action.CREATE,
        entity=Entity.TEAM_MEMBERSHIP,
        object_id=membership.pk,
        after=snapshot(membership),
    )
    return membership


@transaction.atomic
def team_member_add(*, actor, team: Team, partner_id: int) -> TeamMembership:
    _require(actor, team.community_id)
    return _membership_add(actor, team, _partner_of(team.community, partner_id))


@transaction.atomic
def team_member_remove(*, actor, team: Team, partner_id: int) -> None:
    _require(actor, team.community_id)
    membership = TeamMembership.objects.filter(team=team, partner_id=partner_id).first()
    if membership is None:
        raise ConfigError("not_member", _("This partner is not a member of the team."), 404)
    before, pk = snapshot(membership), membership.pk
    membership.delete()
    _team_record(
        actor, team, Action.DELETE, entity=Entity.TEAM_MEMBERSHIP, object_id=pk, before=before
    )


@transaction.atomic
def team_join_request_create(*, actor, team: Team, note: str = "") -> TeamJoinRequest:
    """A partner asks to join a team of their own community."""
    if not rules.can_ask_to_join(actor):
        raise ConfigError("forbidden", _("Only partners may ask to join a team."), 403)
    partner = actor.profile.partner
    if partner.community_id != team.community_id:
        raise ConfigError("other_community", _("You may join only teams of your community."))
    if TeamMembership.objects.filter(team=team, partner=partner).exists():
        raise ConfigError("already_member", _("You are already a member of this team."), 409)
    return _unique(
        lambda: TeamJoinRequest.objects.create(
            team=team,
            partner=partner,
            note=_text(note, "", max_length=200, required=False),
            requested_at=timezone.now(),
        ),
        _("You have already asked to join this team."),
    )


def _decide(actor, request: TeamJoinRequest, status: str) -> TeamJoinRequest:
    _require(actor, request.team.community_id)
    request = TeamJoinRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != JoinStatus.PENDING:
        raise ConfigError("decided", _("This request has already been answered."), 409)
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    return request


@transaction.atomic
def team_join_request_accept(*, actor, request: TeamJoinRequest) -> TeamJoinRequest:
    request = _decide(actor, request, JoinStatus.ACCEPTED)
    partner = _partner_of(request.team.community, request.partner_id)
    _membership_add(actor, request.team, partner)
    return request


@transaction.atomic
def team_join_request_decline(*, actor, request: TeamJoinRequest) -> TeamJoinRequest:
    return _decide(actor, request, JoinStatus.DECLINED)


# ---- shop items ------------------------------------------------------------------------------

ITEM_FIELDS = {
    "name",
    "description",
    "price",
    "stock",
    "per_person_limit",
    "pickup_days",
    "active",
}


def check_photo(upload) -> str:
    """A shop photo: a JPEG, PNG or WebP that Pillow can read, at most 2 MB. Returns the file
    extension to store it under (never the uploader's name)."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > PHOTO_MAX_BYTES:
        raise ConfigError("invalid_photo", _("A photo may be at most 2 MB."))
    try:
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    finally:
        upload.seek(0)
    if kind not in PHOTO_FORMATS:
        raise ConfigError("invalid_photo", _("A photo must be a JPEG, PNG or WebP image."))
    return PHOTO_FORMATS[kind]


def _item_clean(values: dict) -> dict:
    return {
        "name": _text(values.get("name"), _("Give the item a name."), max_length=60),
        "description": _text(values.get("description"), "", max_length=200, required=False),
        "price": _whole(values.get("price"), _("The price must be a whole number, at least 1.")),
        "stock": _whole(
            values.get("stock", 0), _("The stock must be a whole number, 0 or more."), minimum=0
        ),
        "per_person_limit": _whole(
            values.get("per_person_limit"),
            _("The limit per person must be a whole number, at least 1, or empty."),
            optional=True,
        ),
        "pickup_days": _whole(
            values.get("pickup_days", 7),
            _("The days to pick up must be a whole number, at least 1."),
        ),
        "active": bool(values.get("active", True)),
    }


def _item_save(item: ShopItem, fields: dict, photo) -> None:
    extension = check_photo(photo) if photo is not None else None
    for name, value in fields.items():
        setattr(item, name, value)
    if extension:
        item.photo.save(f"{uuid.uuid4().hex}.{extension}", photo, save=False)
    _unique(item.save, _("This community already has an item of that name."))


@transaction.atomic
def shop_item_create(*, actor, community: Community, values: dict, photo=None) -> ShopItem:
    _require(actor, community.pk)
    _known(values, ITEM_FIELDS)
    item = ShopItem(community=community)
    _item_save(item, _item_clean(values), photo)
    _record(
        actor=actor,
        community_id=community.pk,
        entity=Entity.SHOP_ITEM,
        object_id=item.pk,
        action=Action.CREATE,
        after=snapshot(item),
    )
    return item


@transaction.atomic
def shop_item_update(*, actor, item: ShopItem, changes: dict, photo=None) -> ShopItem:
    """Orders already placed keep their unit price."""
    _require(actor, item.community_id)
    _known(changes, ITEM_FIELDS)
    item = ShopItem.objects.select_for_update().get(pk=item.pk)
    before = snapshot(item)
    current = {name: getattr(item, name) for name in ITEM_FIELDS}
    _item_save(item, _item_clean(current | changes), photo)
    _record(
        actor=actor,
        community_id=item.community_id,
        entity=Entity.SHOP_ITEM,
        object_id=item.pk,
        action=Action.UPDATE,
        before=before,
        after=snapshot(item),
    )
    return item


@transaction.atomic
def shop_item_delete(*, actor, item: ShopItem) -> None:
    """Deleted while never ordered; an item with orders is taken off sale instead."""
    _require(actor, item.community_id)
    item = ShopItem.objects.select_for_update().get(pk=item.pk)
    before, pk = snapshot(item), item.pk
    if item.redemptions.exists():
        item.active = False
        item.save(update_fields=["active"])
        action, after = Action.RETIRE, snapshot(item)
    else:
        item.delete()
        action, after = Action.DELETE, None
    _record(
        actor=actor,
        community_id=item.community_id,
        entity=Entity.SHOP_ITEM,
        object_id=pk,
        action=action,
        before=before,
        after=after,
    )


# ---- venues and public holidays --------------------------------------------------------------

VENUE_FIELDS = {"name", "compound_id", "address", "capacity"}


def _venue_clean(community: Community, values: dict) -> dict:
    compound = None
    if values.get("compound_id"):
        compound = Compound.objects.filter(pk=values["compound_id"], community=community).first()
        if compound is None:
            raise ConfigError("invalid", _("The compound is not in this community."))
    return {
        "name": _text(values.get("name"), _("Give the venue a name."), max_length=60),
        "compound": compound,
        "address": _text(values.get("address"), "", max_length=120, required=False),
        "capacity": _whole(
            values.get("capacity"),
            _("The seats must be a whole number, at least 1, or empty."),
            optional=True,
        ),
    }


@transaction.atomic
def venue_create(*, actor, community: Community, values: dict) -> Venue:
    _require(actor, community.pk)
    _known(values, VENUE_FIELDS)
    try:
        venue = meeting_services.venue_create(
            actor=actor, community=community, **_venue_clean(community, values)
        )
    except meeting_services.MeetingError as exc:
        raise ConfigError(exc.code, exc.message) from None
    _record(
        actor=actor,
        community_id=community.pk,
        entity=Entity.VENUE,
        object_id=venue.pk,
        action=Action.CREATE,
        after=snapshot(venue),
    )
    return venue


@transaction.atomic
def venue_update(*, actor, venue: Venue, changes: dict) -> Venue:
    _require(actor, venue.community_id)
    _known(changes, VENUE_FIELDS)
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    before = snapshot(venue)
    current = {name: getattr(venue, name) for name in VENUE_FIELDS}
    for name, value in _venue_clean(venue.community, current | changes).items():
        setattr(venue, name, value)
    _unique(venue.save, _("This community already has a venue of that name."))
    _record(
        actor=actor,
        community_id=venue.community_id,
        entity=Entity.VENUE,
        object_id=venue.pk,
        action=Action.UPDATE,
        before=before,
        after=snapshot(venue),
    )
    return venue


@transaction.atomic
def venue_delete(*, actor, venue: Venue) -> None:
    _require(actor, venue.community_id)
    before, pk = snapshot(venue), venue.pk
    _delete_or_refuse(venue, _("Meetings are held at this venue; it cannot be deleted."))
    _record(
        actor=actor,
        community_id=venue.community_id,
        entity=Entity.VENUE,
        object_id=pk,
        action=Action.DELETE,
        before=before,
    )


HOLIDAY_FIELDS = {"date", "name", "is_workday"}


def _holiday_require(actor) -> None:
    if not rules.can_edit_holidays(actor):
        raise ConfigError(
            "forbidden",
            _("Public holidays are national: subdistrict officials keep the calendar."),
            403,
        )


def _holiday_clean(values: dict) -> dict:
    return {
        "date": _date(values.get("date"), _("Give the day as a date, for example 2025-10-01.")),
        "name": _text(values.get("name"), _("Give the holiday a name."), max_length=30),
        "is_workday": bool(values.get("is_workday")),
    }


def _holiday_save(holiday: PublicHoliday, fields: dict) -> None:
    for name, value in fields.items():
        setattr(holiday, name, value)
    _unique(holiday.save, _("That day is already in the calendar."))


@transaction.atomic
def public_holiday_create(*, actor, values: dict) -> PublicHoliday:
    """A day off (``is_workday`` false) or a weekend working day (调休, true)."""
    _holiday_require(actor)
    _known(values, HOLIDAY_FIELDS)
    holiday = PublicHoliday()
    _holiday_save(holiday, _holiday_clean(values))
    _record(
        actor=actor,
        community_id=None,
        entity=Entity.PUBLIC_HOLIDAY,
        object_id=holiday.pk,
        action=Action.CREATE,
        after=snapshot(holiday),
    )
    return holiday


@transaction.atomic
def public_holiday_update(*, actor, holiday: PublicHoliday, changes: dict) -> PublicHoliday:
    _holiday_require(actor)
    _known(changes, HOLIDAY_FIELDS)
    before = snapshot(holiday)
    current = {name: getattr(holiday, name) for name in HOLIDAY_FIELDS}
    _holiday_save(holiday, _holiday_clean(current | changes))
    _record(
        actor=actor,
        community_id=None,
        entity=Entity.PUBLIC_HOLIDAY,
        object_id=holiday.pk,
        action=Action.UPDATE,
        before=before,
        after=snapshot(holiday),
    )
    return holiday


@transaction.atomic
def public_holiday_delete(*, actor, holiday: PublicHoliday) -> None:
    _holiday_require(actor)
    before, pk = snapshot(holiday), holiday.pk
    holiday.delete()
    _record(
        actor=actor,
        community_id=None,
        entity=Entity.PUBLIC_HOLIDAY,
        object_id=pk,
        action=Action.DELETE,
        before=before,
    )

"""Every change to a community's settings: validate, write, append a ``ConfigChange``.

Every kind of setting is described once by a ``Setting`` (its model, fields, clean function,
unique and in-use messages, and any rule of its own: retire instead of delete, a successor
instead of an edit, national); ``setting_create``, ``setting_update`` and ``setting_delete``
run the one flow for all of them: check the actor, check the values, lock, write, log. Values
come as a dict of field names, the same for the web form and the API, and are checked here so
that both answer with the same Chinese message. A refused change raises ``ConfigError``
before anything is written. The ``<entity>_<verb>`` functions are typed entry points for code
that names one kind.

What already happened keeps the rule it was made under:

* matters store their deadlines (``ack_due_at``, ``due_at``) when they are submitted, and the
  route step records the rule's id, so editing or deleting a rule or a policy only affects the
  next matter;
* a points claim stores its points, but an amendment of the service hours recomputes them with
  the claim's rule; so an earning rule that claims refer to is never edited: the change ends
  it yesterday and starts a new rule today (deleting it ends it yesterday too);
* star awards store their level, so a scheme with awards is changed, never deleted; shop
  orders store their unit price, so an item with orders is taken off sale, not deleted;
* venues with meetings and teams with a work history (matters owned, activities organised,
  meeting actions) are kept: those records name them.
"""

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError, Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.configuration import rules
from gongzhi.configuration.models import (
    Action,
    ConfigChange,
    Entity,
    JoinStatus,
    TeamJoinRequest,
)
from gongzhi.core.services import ServiceError
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


class ConfigError(ServiceError):
    """A refused change (``core.services.ServiceError``): 403 ``forbidden``, other statuses
    given where raised, 400 the rest."""


# ---- shared steps ----------------------------------------------------------------------------


def _forbidden() -> ConfigError:
    return ConfigError("forbidden", _("You may not change the settings of this community."), 403)


def _require(actor: User, community_id: int | None) -> None:
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


def _record(actor: User, community_id, entity, object_id, action, *, before=None, after=None):
    """Append one row to the change log (``community_id`` None for the national calendar)."""
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


def _known(values: dict, allowed: frozenset[str]) -> None:
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


def _unique(fn, message: str):
    """Run a write that may hit a unique constraint; a clash becomes a refused change."""
    try:
        with transaction.atomic():
            return fn()
    except IntegrityError:
        raise ConfigError("duplicate", message, 409) from None


# ---- one flow for every kind of setting ------------------------------------------------------


M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Setting(Generic[M]):
    """What one kind of setting brings to the shared create / update / delete flow.

    ``clean`` turns the submitted values (all of them: an update passes the current values
    with the changes on top) into the model's fields; many-to-many fields are set after the
    row is saved. Messages are lazy so that they are translated when a change is refused.
    """

    model: type[M]
    entity: Entity
    fields: frozenset[str]
    # (community, values) → fields; the community is None for a national setting.
    clean: Callable[[Any, dict], dict]
    taken: Promise | None = None  # a unique constraint clashed
    in_use: Promise | None = None  # rows elsewhere protect the object from deletion
    current: Callable[[M], dict] | None = None  # values as ``clean`` takes them
    insert: Callable[..., M] | None = None  # create through another app's service
    retire: Callable[[M], bool] | None = None  # True: retired instead of deleted
    supersede: Callable[..., M | None] | None = None  # a successor instead of an edit
    national: bool = False  # no community: officials keep it, see ``rules``


def _authorise(setting: Setting, actor: User, community_id: int | None) -> None:
    if setting.national:
        if not rules.can_edit_holidays(actor):
            raise ConfigError(
                "forbidden",
                _("Public holidays are national: subdistrict officials keep the calendar."),
                403,
            )
    elif not rules.can_configure(actor, community_id):
        raise _forbidden()


def setting_values(setting: Setting, obj) -> dict:
    """The object's values in the shape ``clean`` (and the settings form) takes."""
    if setting.current is not None:
        return setting.current(obj)
    return {name: getattr(obj, name) for name in setting.fields}


def _write(setting: Setting, obj, fields: dict, attach: Callable | None = None) -> None:
    many = {f.name for f in obj._meta.many_to_many}
    for name, value in fields.items():
        if name not in many:
            setattr(obj, name, value)
    if attach is not None:
        attach(obj)
    if setting.taken is None:
        obj.save()
    else:
        _unique(obj.save, str(setting.taken))
    for name in many & set(fields):
        getattr(obj, name).set(fields[name])


def _lock(setting: Setting, obj):
    return setting.model._default_manager.select_for_update().get(pk=obj.pk)


@transaction.atomic
def setting_create(
    setting: Setting, *, actor: User, community: Community | None, values: dict, attach=None
):
    """Create one setting of ``community`` (None for a national one) and log it.
    ``attach(obj)`` runs just before the row is saved (a shop item's photo)."""
    if setting.national:
        community_id = None
    elif community is None:
        raise ValueError("a community setting needs its community")
    else:
        community_id = community.pk
    _authorise(setting, actor, community_id)
    _known(values, setting.fields)
    fields = setting.clean(community, values)
    if setting.insert is not None:
        obj = setting.insert(actor=actor, community=community, **fields)
    else:
        obj = setting.model() if setting.national else setting.model(community=community)
        _write(setting, obj, fields, attach)
    _record(actor, community_id, setting.entity, obj.pk, Action.CREATE, after=snapshot(obj))
    return obj


@transaction.atomic
def setting_update(setting: Setting, *, actor: User, obj, values: dict, attach=None):
    """Change the fields named in ``values``; the others keep theirs. Returns the object, or
    the successor where ``setting.supersede`` replaced an object in use."""
    community_id = getattr(obj, "community_id", None)
    _authorise(setting, actor, community_id)
    _known(values, setting.fields)
    obj = _lock(setting, obj)
    if setting.supersede is not None:
        successor = setting.supersede(actor=actor, obj=obj, values=values)
        if successor is not None:
            return successor
    before = snapshot(obj)
    community = None if setting.national else obj.community
    _write(setting, obj, setting.clean(community, setting_values(setting, obj) | values), attach)
    after = snapshot(obj)
    _record(actor, community_id, setting.entity, obj.pk, Action.UPDATE, before=before, after=after)
    return obj


@transaction.atomic
def setting_delete(setting: Setting, *, actor: User, obj) -> None:
    """Delete, or retire where ``setting.retire`` says the object is in use; an object that
    other rows protect is refused with ``setting.in_use``."""
    community_id = getattr(obj, "community_id", None)
    _authorise(setting, actor, community_id)
    obj = _lock(setting, obj)
    before, pk = snapshot(obj), obj.pk
    if setting.retire is not None and setting.retire(obj):
        action, after = Action.RETIRE, snapshot(obj)
    else:
        try:
            obj.delete()
        except ProtectedError:
            if setting.in_use is None:  # nothing is meant to protect this kind: a real bug
                raise
            raise ConfigError("in_use", str(setting.in_use), 409) from None
        action, after = Action.DELETE, None
    _record(actor, community_id, setting.entity, pk, action, before=before, after=after)


# ---- responsibility rules (责任清单) ----------------------------------------------------------


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


def _rule_clean(community: Community, values: dict) -> dict:
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
    return {
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
        "roles": roles,
        "whistle_organisations": organisations,
    }


RESPONSIBILITY_RULE = Setting(
    model=ResponsibilityRule,
    entity=Entity.RESPONSIBILITY_RULE,
    fields=frozenset(
        {
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
    ),
    clean=_rule_clean,
    taken=gettext_lazy("This community already has a rule for that tier and category."),
    current=_rule_current,
)


def responsibility_rule_create(
    *, actor: User, community: Community, values: dict
) -> ResponsibilityRule:
    return setting_create(RESPONSIBILITY_RULE, actor=actor, community=community, values=values)


def responsibility_rule_update(
    *, actor: User, rule: ResponsibilityRule, changes: dict
) -> ResponsibilityRule:
    return setting_update(RESPONSIBILITY_RULE, actor=actor, obj=rule, values=changes)


# ---- deadline policies -----------------------------------------------------------------------


def _policy_clean(community: Community, values: dict) -> dict:
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


DEADLINE_POLICY = Setting(
    model=DeadlinePolicy,
    entity=Entity.DEADLINE_POLICY,
    fields=frozenset({"tier", "category", "acknowledge_hours", "resolve_days", "working_days"}),
    clean=_policy_clean,
    taken=gettext_lazy("This community already has a deadline for that tier and category."),
)


def deadline_policy_create(*, actor: User, community: Community, values: dict) -> DeadlinePolicy:
    return setting_create(DEADLINE_POLICY, actor=actor, community=community, values=values)


# ---- points-earning rules and star schemes ---------------------------------------------------


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


def _earning_clean(community: Community, values: dict) -> dict:
    fields: dict[str, Any] = {
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


def _end_yesterday(rule: EarningRule) -> bool:
    """Retire a rule that claims refer to by ending it yesterday: it keeps its values for
    them (see the module doc). False when no claim uses it, so it may simply go."""
    if not rule.pointsclaim_set.exists():
        return False
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    if rule.valid_from > yesterday:
        raise ConfigError(
            "in_use",
            _("Claims already use this rule since today; add a new rule from a later day instead."),
            409,
        )
    rule.valid_to = min(rule.valid_to or yesterday, yesterday)
    rule.save(update_fields=["valid_to"])
    return True


def _earning_supersede(*, actor: User, obj: EarningRule, values: dict) -> EarningRule | None:
    """A rule that claims refer to is never edited: it ends yesterday and a new rule with the
    changes starts today (returned), so past claims keep theirs. None while no claim uses it."""
    if not obj.pointsclaim_set.exists():
        return None
    today = timezone.localdate()
    current = setting_values(EARNING_RULE, obj)
    fields = _earning_clean(obj.community, current | {"valid_from": today} | values)
    fields["valid_from"] = max(fields["valid_from"], today)
    if fields["valid_to"] is not None and fields["valid_to"] < fields["valid_from"]:
        raise ConfigError("invalid", _("The last day must not be before the first day."))
    # Claims use the rule, so "deleting" it ends it yesterday (logged as retired).
    setting_delete(EARNING_RULE, actor=actor, obj=obj)
    return setting_create(EARNING_RULE, actor=actor, community=obj.community, values=fields)


EARNING_RULE = Setting(
    model=EarningRule,
    entity=Entity.EARNING_RULE,
    fields=frozenset(
        {"kind", "unit", "points", "cap_per_activity", "publicity_days", "valid_from", "valid_to"}
    ),
    clean=_earning_clean,
    retire=_end_yesterday,
    supersede=_earning_supersede,
)


def earning_rule_create(*, actor: User, community: Community, values: dict) -> EarningRule:
    return setting_create(EARNING_RULE, actor=actor, community=community, values=values)


def earning_rule_update(*, actor: User, rule: EarningRule, changes: dict) -> EarningRule:
    """Edit in place while no claim refers to the rule; otherwise its successor (above)."""
    return setting_update(EARNING_RULE, actor=actor, obj=rule, values=changes)


def earning_rule_delete(*, actor: User, rule: EarningRule) -> None:
    """Deleted while unused; a rule claims refer to is ended yesterday instead."""
    setting_delete(EARNING_RULE, actor=actor, obj=rule)


def _star_clean(community: Community, values: dict) -> dict:
    scheme = StarScheme(thresholds=values.get("thresholds"))
    try:
        scheme.clean()
    except ValidationError as exc:  # the model's own, with its translated message
        raise ConfigError("invalid", exc.messages[0]) from None
    return {
        "thresholds": scheme.thresholds,
        "publicity_days": _whole(
            values.get("publicity_days", 7),
            _("The publicity period must be a whole number of days, 0 or more."),
            minimum=0,
        ),
    }


STAR_SCHEME = Setting(
    model=StarScheme,
    entity=Entity.STAR_SCHEME,
    fields=frozenset({"thresholds", "publicity_days"}),
    clean=_star_clean,
    taken=gettext_lazy("This community already has star levels; change them instead."),
    in_use=gettext_lazy("Stars were already awarded under these levels; change them instead."),
)


# ---- teams and their members -----------------------------------------------------------------


def _team_clean(community: Community, values: dict) -> dict:
    fields: dict[str, Any] = {
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


TEAM = Setting(
    model=Team,
    entity=Entity.TEAM,
    fields=frozenset({"name", "kind", "compound_id", "building_id", "leader_id", "focus"}),
    clean=_team_clean,
    taken=gettext_lazy("This community already has a team of that name."),
    in_use=gettext_lazy(
        "This team has a work history and cannot be dissolved; remove its members instead."
    ),
)


def _membership_add(actor: User, team: Team, partner: Partner) -> TeamMembership:
    membership = _unique(
        lambda: TeamMembership.objects.create(
            team=team, partner=partner, joined_on=timezone.localdate()
        ),
        _("This partner is already a member of the team."),
    )
    after = snapshot(membership)
    _record(
        actor, team.community_id, Entity.TEAM_MEMBERSHIP, membership.pk, Action.CREATE, after=after
    )
    return membership


@transaction.atomic
def team_member_add(*, actor: User, team: Team, partner_id: int) -> TeamMembership:
    _require(actor, team.community_id)
    return _membership_add(actor, team, _partner_of(team.community, partner_id))


@transaction.atomic
def team_member_remove(*, actor: User, team: Team, partner_id: int) -> None:
    _require(actor, team.community_id)
    membership = TeamMembership.objects.filter(team=team, partner_id=partner_id).first()
    if membership is None:
        raise ConfigError("not_member", _("This partner is not a member of the team."), 404)
    before, pk = snapshot(membership), membership.pk
    membership.delete()
    _record(actor, team.community_id, Entity.TEAM_MEMBERSHIP, pk, Action.DELETE, before=before)


@transaction.atomic
def team_join_request_create(*, actor: User, team: Team, note: str = "") -> TeamJoinRequest:
    """A partner asks to join a team of their own community."""
    if not rules.can_ask_to_join(actor):
        raise ConfigError("forbidden", _("Only partners may ask to join a team."), 403)
    partner = actor.profile.partner
    assert partner is not None  # can_ask_to_join: a partner's profile names their record
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


def _decide(actor: User, request: TeamJoinRequest, status: str) -> TeamJoinRequest:
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
def team_join_request_accept(*, actor: User, request: TeamJoinRequest) -> TeamJoinRequest:
    request = _decide(actor, request, JoinStatus.ACCEPTED)
    partner = _partner_of(request.team.community, request.partner_id)
    _membership_add(actor, request.team, partner)
    return request


@transaction.atomic
def team_join_request_decline(*, actor: User, request: TeamJoinRequest) -> TeamJoinRequest:
    return _decide(actor, request, JoinStatus.DECLINED)


# ---- shop items ------------------------------------------------------------------------------


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


def _item_clean(community: Community, values: dict) -> dict:
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


def photo_attachment(photo) -> Callable | None:
    """Store an uploaded photo under a random name, once the item's values have passed
    (``None`` when nothing was uploaded)."""
    if not photo:
        return None

    def attach(item: ShopItem) -> None:
        item.photo.save(f"{uuid.uuid4().hex}.{check_photo(photo)}", photo, save=False)

    return attach


def _off_sale(item: ShopItem) -> bool:
    """Orders keep their item: an item with orders is taken off sale instead of deleted."""
    if not item.redemptions.exists():
        return False
    item.active = False
    item.save(update_fields=["active"])
    return True


SHOP_ITEM = Setting(
    model=ShopItem,
    entity=Entity.SHOP_ITEM,
    fields=frozenset(
        {"name", "description", "price", "stock", "per_person_limit", "pickup_days", "active"}
    ),
    clean=_item_clean,
    taken=gettext_lazy("This community already has an item of that name."),
    retire=_off_sale,
)


# ---- venues and public holidays --------------------------------------------------------------


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


def _venue_insert(**kwargs) -> Venue:
    """New venues go through the meetings service, which also checks the actor's reach."""
    try:
        return meeting_services.venue_create(**kwargs)
    except meeting_services.MeetingError as exc:
        raise ConfigError(exc.code, exc.message, 400) from None


VENUE = Setting(
    model=Venue,
    entity=Entity.VENUE,
    fields=frozenset({"name", "compound_id", "address", "capacity"}),
    clean=_venue_clean,
    taken=gettext_lazy("This community already has a venue of that name."),
    in_use=gettext_lazy("Meetings are held at this venue; it cannot be deleted."),
    insert=_venue_insert,
)


def _holiday_clean(community: None, values: dict) -> dict:
    return {
        "date": _date(values.get("date"), _("Give the day as a date, for example 2025-10-01.")),
        "name": _text(values.get("name"), _("Give the holiday a name."), max_length=30),
        "is_workday": bool(values.get("is_workday")),
    }


PUBLIC_HOLIDAY = Setting(
    model=PublicHoliday,
    entity=Entity.PUBLIC_HOLIDAY,
    fields=frozenset({"date", "name", "is_workday"}),
    clean=_holiday_clean,
    taken=gettext_lazy("That day is already in the calendar."),
    national=True,
)

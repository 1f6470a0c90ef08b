"""Routing (责任清单): who is responsible for a matter, and how they work on it.

A community's ``ResponsibilityRule`` rows map (tier, optional category) to the partner kinds,
roles, team kinds and organisation kinds responsible, the working mode, and the departments to
summon ("whistle", 吹哨) for hard matters. ``default_rules`` holds the paper's defaults.

``candidates`` proposes concrete owners for one matter, ranked by a score whose parts are:

* place: 30 for an owner anchored at the matter's building, 20 at its compound (or another
  building of it), 10 for the whole community, 5 for a subdistrict-wide organisation — owners
  anchored in another compound are not proposed;
* skill: +6 when the rule prefers a matching skill and the partner (or a member of the team)
  has one of the category's skills (``CATEGORY_SKILLS``);
* load: −1 per matter the owner currently works on, at most −4.

The bonuses never outweigh a place step, so the order reads: same building, then same
compound, then community; within one place level a matching skill, then the lighter load.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gongzhi.core import rawsql
from gongzhi.matters.models import (
    WORKING_STATUSES,
    Category,
    Matter,
    MatterOwner,
    ResponsibilityRule,
    Tier,
    WorkingMode,
)
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
from gongzhi.places.models import Community

# Skill names as seeded by partners/migrations/0002_default_skills_roles.py.
CATEGORY_SKILLS: dict[str, tuple[str, ...]] = {
    Category.PARKING: ("停车管理",),
    Category.GREENING: ("园艺绿化",),
    Category.SANITATION: ("环境卫生",),
    Category.PETS: ("宠物管理",),
    Category.FACILITIES: ("水电维修", "家电维修"),
    Category.SAFETY: ("安全巡查",),
    Category.CARE: ("医疗护理", "心理疏导"),
    Category.DISPUTES: ("矛盾调解", "法律咨询"),
    Category.PROPERTY: ("法律咨询",),
    Category.CULTURE: ("文艺特长",),
    Category.SERVICES: ("法律咨询",),
    Category.OTHER: (),
}

PLACE_SCORE = {"building": 30.0, "compound": 20.0, "community": 10.0, "subdistrict": 5.0}
SKILL_BONUS = 6.0
LOAD_PENALTY = 1.0
MAX_LOAD_PENALTY = 4.0


def default_rules() -> list[dict]:
    """The paper's defaults, one tier-wide rule per tier.

    ``roles`` are role codes and ``whistle_kinds`` organisation kinds of the subdistrict whose
    organisations are summoned; ``install_default_rules`` resolves both to rows.
    """
    return [
        {
            # 小事: volunteer teams and social organisations of the building or compound, 协同.
            "tier": Tier.SMALL,
            "category": "",
            "partner_kinds": [PartnerKind.NEIGHBOUR.value],
            "roles": [],
            "team_kinds": [TeamKind.VOLUNTEER.value],
            "organisation_kinds": [OrganisationKind.SOCIAL_ORGANISATION.value],
            "whistle_kinds": [],
            "whistle_response_hours": 72,
            "match_skill": False,
            "working_mode": WorkingMode.COOPERATE.value,
            "propose_meeting": False,
            "auto_assign": False,
        },
        {
            # 大事: party-group leaders, central households, talents, construction partners, 共商.
            "tier": Tier.BIG,
            "category": "",
            "partner_kinds": [PartnerKind.CONSTRUCTION.value],
            "roles": ["building_party_leader", "party_central_household", "community_talent"],
            "team_kinds": [],
            "organisation_kinds": [],
            "whistle_kinds": [],
            "whistle_response_hours": 72,
            "match_skill": True,
            "working_mode": WorkingMode.DELIBERATE.value,
            "propose_meeting": True,
            "auto_assign": False,
        },
        {
            # 难事: dispatched cadres, registered party members, outdoor workers, red work teams,
            # and a whistle to the subdistrict's departments, 联动.
            "tier": Tier.HARD,
            "category": "",
            "partner_kinds": [PartnerKind.TEAM.value],
            "roles": ["dispatched_cadre", "registered_party_member", "outdoor_worker"],
            "team_kinds": [TeamKind.RED.value],
            "organisation_kinds": [],
            "whistle_kinds": [OrganisationKind.DEPARTMENT.value],
            "whistle_response_hours": 72,
            "match_skill": True,
            "working_mode": WorkingMode.JOINT.value,
            "propose_meeting": True,
            "auto_assign": False,
        },
    ]


@transaction.atomic
def install_default_rules(community: Community) -> int:
    """Create the default rules the community lacks; returns how many were created.

    Existing rules are left as staff edited them, so running this again changes nothing.
    """
    created = 0
    for spec in default_rules():
        spec = dict(spec)
        role_codes = spec.pop("roles")
        whistle_kinds = spec.pop("whistle_kinds")
        rule, was_created = ResponsibilityRule.objects.get_or_create(
            community=community, tier=spec.pop("tier"), category=spec.pop("category"), defaults=spec
        )
        if not was_created:
            continue
        created += 1
        rule.roles.set(Role.objects.filter(code__in=role_codes))
        if whistle_kinds:
            rule.whistle_organisations.set(
                Organisation.objects.filter(
                    subdistrict_id=community.subdistrict_id, kind__in=whistle_kinds
                )
            )
    return created


def rule_read(matter: Matter) -> tuple:
    """``rule_for``'s read for ``rawsql.firsts`` (the submit reads it together with the deadline
    policy: ``deadlines.policy_read``)."""
    return (
        ResponsibilityRule,
        "community_id = %s AND tier = %s AND category IN (%s, '')",
        [matter.community_id, matter.tier, matter.category],
        "ORDER BY category DESC",
    )


def rule_for(matter: Matter) -> ResponsibilityRule | None:
    """The community's rule for the matter's tier: one for its category beats the tier-wide one.

    Read at every submit, so as a statement written once (``core.rawsql``): always the rule as
    it is now, in the database, whichever process or request changed it last — nothing to
    invalidate."""
    (rule,) = rawsql.firsts([rule_read(matter)])
    return rule


@dataclass
class Candidate:
    owner: Partner | Team | Organisation
    kind: str  # "partner" | "team" | "organisation"
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Spec:
    """What a rule asks for, from a saved rule or, when the community has none, the defaults."""

    partner_kinds: tuple[str, ...]
    role_codes: tuple[str, ...]
    team_kinds: tuple[str, ...]
    organisation_kinds: tuple[str, ...]
    match_skill: bool


def _spec(matter: Matter, rule: ResponsibilityRule | None) -> _Spec:
    if rule is not None:
        return _Spec(
            partner_kinds=tuple(rule.partner_kinds),
            role_codes=tuple(rule.roles.values_list("code", flat=True)),
            team_kinds=tuple(rule.team_kinds),
            organisation_kinds=tuple(rule.organisation_kinds),
            match_skill=rule.match_skill,
        )
    default = next(d for d in default_rules() if d["tier"] == matter.tier)
    return _Spec(
        partner_kinds=tuple(default["partner_kinds"]),
        role_codes=tuple(default["roles"]),
        team_kinds=tuple(default["team_kinds"]),
        organisation_kinds=tuple(default["organisation_kinds"]),
        match_skill=default["match_skill"],
    )


def _near_q(matter: Matter) -> Q:
    """Owners anchored at the whole community or at the matter's compound."""
    if matter.compound_id is None:
        return Q()
    return Q(compound__isnull=True) | Q(compound_id=matter.compound_id)


def _place_level(matter: Matter, *, compound_id, building_id) -> str:
    if building_id is not None and building_id == matter.building_id:
        return "building"
    if compound_id is not None and compound_id == matter.compound_id:
        return "compound"
    return "community"


_PLACE_REASON = {
    # Translators: a short candidate reason, 同一楼栋.
    "building": lambda: _("same building"),
    # Translators: 同一小区.
    "compound": lambda: _("same compound"),
    # Translators: 服务本社区.
    "community": lambda: _("serves the community"),
    # Translators: 服务全街道.
    "subdistrict": lambda: _("serves the subdistrict"),
}


def _loads(matter: Matter, partners, teams, organisations) -> dict[tuple[str, int], int]:
    """Matters each owner currently works on, in one aggregate query."""
    rows = (
        MatterOwner.objects.filter(active=True, matter__status__in=WORKING_STATUSES)
        .exclude(matter_id=matter.pk)
        .filter(
            Q(partner_id__in=[p.pk for p in partners])
            | Q(team_id__in=[t.pk for t in teams])
            | Q(organisation_id__in=[o.pk for o in organisations])
        )
        .values("partner_id", "team_id", "organisation_id")
        .annotate(open=Count("matter_id", distinct=True))
    )
    loads = {}
    for row in rows:
        for kind in ("partner", "team", "organisation"):
            if row[f"{kind}_id"] is not None:
                loads[(kind, row[f"{kind}_id"])] = row["open"]
    return loads


def _score(level: str, skill: str | None, load: int) -> float:
    score = PLACE_SCORE[level] + (SKILL_BONUS if skill else 0)
    return score - min(load * LOAD_PENALTY, MAX_LOAD_PENALTY)


def _reasons(level: str, skill: str | None, load: int, roles: list[str]) -> list[str]:
    reasons = [_PLACE_REASON[level](), *roles]
    if skill:
        # Translators: 技能匹配：%(skill)s
        reasons.append(_("matching skill: %(skill)s") % {"skill": skill})
    reasons.append(
        # Translators: the owner's current load, 当前在办 %(count)d 件.
        ngettext("%(count)d open matter", "%(count)d open matters", load) % {"count": load}
    )
    return reasons


def candidates(matter: Matter, *, limit: int = 10) -> list[Candidate]:
    """Ranked concrete owners for the matter under its rule (see the module docstring).

    Only active partners, and teams and organisations, of the matter's community (plus
    subdistrict-wide organisations) are proposed. The number of queries does not depend on
    the number of candidates.
    """
    spec = _spec(matter, rule_for(matter))
    skills = CATEGORY_SKILLS.get(matter.category, ()) if spec.match_skill else ()
    near = _near_q(matter)

    wanted = Q(kind__in=spec.partner_kinds) | Q(roles__code__in=spec.role_codes)
    # A community has hundreds of partners: only the columns ranked here (no phone to
    # decrypt), and their matching skills and roles as plain rows rather than a prefetch,
    # whose per-partner querysets cost ~0.25 s at X-community scale.
    partners = list(
        Partner.objects.active()
        .filter(near, community_id=matter.community_id)
        .filter(pk__in=Partner.objects.filter(wanted).values("pk"))
        .only("name", "kind", "community_id", "compound_id", "building_id")
    )
    partner_ids = [p.pk for p in partners]
    partner_skills: dict[int, str] = {}
    if skills and partner_ids:
        for partner_id, skill in Partner.skills.through.objects.filter(
            partner_id__in=partner_ids, skill__name__in=skills
        ).values_list("partner_id", "skill__name"):
            partner_skills.setdefault(partner_id, skill)
    partner_roles: dict[int, list[str]] = defaultdict(list)
    if spec.role_codes and partner_ids:
        for partner_id, role in (
            Partner.roles.through.objects.filter(
                partner_id__in=partner_ids, role__code__in=spec.role_codes
            )
            .order_by("role__name")
            .values_list("partner_id", "role__name")
        ):
            partner_roles[partner_id].append(role)
    teams = list(
        Team.objects.filter(near, community_id=matter.community_id, kind__in=spec.team_kinds)
    )
    organisations = list(
        Organisation.objects.filter(kind__in=spec.organisation_kinds).filter(
            (near & Q(community_id=matter.community_id))
            | Q(community__isnull=True, subdistrict_id=matter.community.subdistrict_id)
        )
    )
    team_skills: dict[int, str] = {}
    if skills and teams:
        for team_id, skill in TeamMembership.objects.filter(
            team__in=teams,
            partner__status=PartnerStatus.ACTIVE,
            partner__skills__name__in=skills,
        ).values_list("team_id", "partner__skills__name"):
            team_skills.setdefault(team_id, skill)
    loads = _loads(matter, partners, teams, organisations)

    # (candidate, what its reasons say): the reasons are worded only for the top ``limit``.
    found: list[tuple[Candidate, tuple]] = []

    def add(owner, kind: str, level: str, skill: str | None, roles=()) -> None:
        load = loads.get((kind, owner.pk), 0)
        found.append(
            (Candidate(owner, kind, _score(level, skill, load)), (level, skill, load, roles))
        )

    for partner in partners:
        level = _place_level(
            matter, compound_id=partner.compound_id, building_id=partner.building_id
        )
        add(partner, "partner", level, partner_skills.get(partner.pk), partner_roles[partner.pk])
    for team in teams:
        level = _place_level(matter, compound_id=team.compound_id, building_id=team.building_id)
        add(team, "team", level, team_skills.get(team.pk))
    for org in organisations:
        if org.community_id is None:
            level = "subdistrict"
        else:
            level = _place_level(matter, compound_id=org.compound_id, building_id=None)
        add(org, "organisation", level, None)
    kind_order = {"partner": 0, "team": 1, "organisation": 2}
    found.sort(key=lambda pair: (-pair[0].score, kind_order[pair[0].kind], pair[0].owner.pk))
    top = []
    for candidate, (level, skill, load, roles) in found[:limit]:
        candidate.reasons = _reasons(level, skill, load, list(roles))
        top.append(candidate)
    return top

"""Demo data: the Party's structure of a community, its 双报到 units and its dispatched cadres.

Drawn from what the registry already holds: the partners flagged as party members become the
roll (one row per person, in the group of the building they live in), except the 居住地报到党员
of the red work team, whose party relation stays with their work unit — they become the
in-service members of the reporting units, so their hours (recorded by the volunteering demo)
show in the units' quarterly letters. The partners with the 下沉干部 role are assigned to the
compounds (包保), check in about weekly, and take a few hard matters as owners.

Rows are built in memory and written with ``bulk_create``; random choices come from ``rng`` and
dates from the demo's fixed today, so a run is deterministic. It does nothing when the
community already has a party committee.
"""

import datetime as dt
import random

from django.utils import timezone

from gongzhi.core.demodates import TODAY
from gongzhi.matters.models import OPEN_STATUSES, Matter, MatterOwner, Tier
from gongzhi.partners.models import Organisation, OrganisationKind, Partner
from gongzhi.party.models import (
    CadreAssignment,
    CadreTask,
    CentreHousehold,
    CheckIn,
    Claim,
    InServiceMember,
    OrgLevel,
    PartyMember,
    PartyOrg,
    Post,
    ReportingUnit,
)
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Compound, Household

MEMBERS = 300
IN_SERVICE = 48
CADRES = 8
CENTRES_PER_COMPOUND = 3
# Units from outside the subdistrict's own departments, registered like the departments are.
EXTRA_UNITS = (
    ("国网武汉供电公司汉阳供电中心", "供电服务"),
    ("汉阳区实验小学", "教育"),
)
POSTS = (
    ("楼栋政策宣传员", "入户宣传政策，收集居民意见"),
    ("文明劝导员", "劝导乱停车、乱堆放"),
    ("关爱帮扶员", "结对探访独居老人"),
    ("矛盾调解员", "参与邻里纠纷调解"),
    ("环境巡查员", "巡查楼道、消防通道"),
    ("学业辅导员", "周末为双职工家庭孩子辅导功课"),
)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def seed_party(community, *, rng: random.Random) -> dict:
    if PartyOrg.objects.filter(community=community, level=OrgLevel.COMMUNITY).exists():
        return {}
    sub = community.subdistrict
    root = PartyOrg.objects.filter(subdistrict=sub, level=OrgLevel.SUBDISTRICT).first()
    if root is None:
        root = PartyOrg.objects.create(
            name=f"{sub.name}党工委", level=OrgLevel.SUBDISTRICT, subdistrict=sub
        )
    committee = PartyOrg.objects.create(
        name=f"{community.name}党委",
        level=OrgLevel.COMMUNITY,
        parent=root,
        subdistrict=sub,
        community=community,
    )
    compounds = list(Compound.objects.filter(community=community).order_by("pk"))
    branches = PartyOrg.objects.bulk_create(
        PartyOrg(
            name=f"{c.name}党支部",
            level=OrgLevel.COMPOUND,
            parent=committee,
            subdistrict=sub,
            community=community,
            compound=c,
        )
        for c in compounds
    )
    branch_of = {b.compound_id: b for b in branches}
    buildings = list(Building.objects.filter(compound__in=compounds).order_by("pk"))
    names = {c.pk: c.name for c in compounds}
    groups = PartyOrg.objects.bulk_create(
        PartyOrg(
            name=f"{names[b.compound_id]}{b.name}党小组",
            level=OrgLevel.BUILDING,
            parent=branch_of[b.compound_id],
            subdistrict=sub,
            community=community,
            compound_id=b.compound_id,
            building=b,
        )
        for b in buildings
    )
    group_of = {g.building_id: g for g in groups}

    members = _roll(community, group_of, rng)
    centres = _centres(members, rng)
    units, in_service, claims = _reporting(community, rng)
    assignments, checkins, tasks = _cadres(community, compounds, rng)
    return {
        "orgs": 2 + len(branches) + len(groups),
        "members": len(members),
        "centre_households": centres,
        "units": units,
        "in_service": in_service,
        "claims": claims,
        "cadres": assignments,
        "checkins": checkins,
        "tasks": tasks,
    }


def _registered(community) -> list[Partner]:
    return list(
        Partner.objects.filter(
            community=community, roles__code="registered_party_member", resident__isnull=False
        )
        .order_by("pk")
        .distinct()
    )


def _roll(community, group_of: dict, rng: random.Random) -> list[PartyMember]:
    """One row per person living here: a resident with several partner records counts once."""
    registered = {p.resident_id for p in _registered(community)}
    people = {}
    for partner in (
        Partner.objects.filter(community=community, is_party_member=True, resident__isnull=False)
        .select_related("resident__household__unit")
        .order_by("pk")
    ):
        if partner.resident_id not in registered:
            people.setdefault(partner.resident_id, partner)
    chosen = sorted(rng.sample(sorted(people), min(MEMBERS, len(people))))
    rows = []
    for resident_id in chosen:
        partner = people[resident_id]
        joined = TODAY - dt.timedelta(days=rng.randint(200, 40 * 365))
        rows.append(
            PartyMember(
                resident_id=resident_id,
                partner=partner,
                name=partner.resident.name,
                branch=group_of[partner.resident.household.unit.building_id],
                lives_here=True,
                in_service=rng.random() < 0.25,
                joined_on=joined,
            )
        )
    return PartyMember.objects.bulk_create(rows)


def _centres(members: list[PartyMember], rng: random.Random) -> int:
    """A few 党员中心户 per compound, each looking after 6–10 households of its building."""
    by_compound = {}
    for member in members:
        by_compound.setdefault(member.branch.compound_id, []).append(member)
    chosen = []
    for compound_id in sorted(by_compound):
        pool = by_compound[compound_id]
        chosen += rng.sample(pool, min(CENTRES_PER_COMPOUND, len(pool)))
    homes = dict(
        Resident.objects.filter(pk__in=[m.resident_id for m in chosen]).values_list(
            "pk", "household_id"
        )
    )
    neighbours_of = {member.pk: member.branch.building_id for member in chosen}
    by_building = {}
    for pk, building_id in Household.objects.filter(
        unit__building_id__in=set(neighbours_of.values())
    ).values_list("pk", "unit__building_id"):
        by_building.setdefault(building_id, []).append(pk)
    centres = CentreHousehold.objects.bulk_create(
        CentreHousehold(
            member=m,
            household_id=homes[m.resident_id],
            designated_on=TODAY - dt.timedelta(days=300),
        )
        for m in chosen
    )
    through = CentreHousehold.neighbours.through
    links = []
    for centre, member in zip(centres, chosen, strict=True):
        pool = [h for h in by_building[neighbours_of[member.pk]] if h != centre.household_id]
        for household_id in rng.sample(pool, min(len(pool), rng.randint(6, 10))):
            links.append(through(centrehousehold_id=centre.pk, household_id=household_id))
    through.objects.bulk_create(links)
    return len(centres)


def _reporting(community, rng: random.Random) -> tuple[int, int, int]:
    sub = community.subdistrict
    organisations = list(
        Organisation.objects.filter(
            subdistrict=sub, kind=OrganisationKind.DEPARTMENT, community__isnull=True
        ).order_by("pk")
    )
    existing = set(Organisation.objects.filter(subdistrict=sub).values_list("name", flat=True))
    organisations += Organisation.objects.bulk_create(
        Organisation(
            name=name, kind=OrganisationKind.OTHER, subdistrict=sub, description=description
        )
        for name, description in EXTRA_UNITS
        if name not in existing
    )
    units = ReportingUnit.objects.bulk_create(
        ReportingUnit(
            organisation=org,
            community=community,
            registered_on=TODAY - dt.timedelta(days=rng.randint(300, 700)),
        )
        for org in organisations
    )
    registered = _registered(community)
    chosen = sorted(rng.sample(registered, min(IN_SERVICE, len(registered))), key=lambda p: p.pk)
    members = InServiceMember.objects.bulk_create(
        InServiceMember(
            unit=units[index % len(units)],
            resident_id=partner.resident_id,
            partner=partner,
            name=partner.name,
            registered_on=TODAY - dt.timedelta(days=rng.randint(30, 400)),
        )
        for index, partner in enumerate(chosen)
    )
    posts = Post.objects.bulk_create(
        Post(community=community, title=title, description=description)
        for title, description in POSTS
    )
    claims = [
        Claim(
            member=member,
            post=post,
            claimed_at=_at(TODAY - dt.timedelta(days=rng.randint(1, 180)), rng.randint(9, 19)),
        )
        for member in members
        for post in rng.sample(posts, rng.choice((0, 1, 1, 2)))
    ]
    Claim.objects.bulk_create(claims)
    return len(units), len(members), len(claims)


def _cadres(community, compounds, rng: random.Random) -> tuple[int, int, int]:
    """Two cadres per compound for a year from half a year ago; about weekly check-ins up to
    today; the open hard matters of each compound dispatched to one of its cadres."""
    cadres = list(
        Partner.objects.filter(community=community, roles__code="dispatched_cadre")
        .order_by("pk")
        .distinct()
    )
    cadres = sorted(rng.sample(cadres, min(CADRES, len(cadres))), key=lambda p: p.pk)
    buildings = {}
    for building in Building.objects.filter(compound__in=compounds).order_by("pk"):
        buildings.setdefault(building.compound_id, []).append(building)
    starts = TODAY - dt.timedelta(days=182)
    assignments = CadreAssignment.objects.bulk_create(
        CadreAssignment(
            cadre=cadre,
            compound=compounds[index % len(compounds)],
            # every other cadre looks after one building (a tall one that needs attention)
            building=(
                rng.choice(buildings[compounds[index % len(compounds)].pk]) if index % 2 else None
            ),
            starts_on=starts,
            ends_on=starts + dt.timedelta(days=364),
        )
        for index, cadre in enumerate(cadres)
    )
    checkins = []
    for assignment in assignments:
        day = starts + dt.timedelta(days=rng.randint(0, 6))
        while day <= TODAY:
            if rng.random() < 0.85:  # a missed week now and then
                building = assignment.building or rng.choice(buildings[assignment.compound_id])
                checkins.append(
                    CheckIn(
                        assignment=assignment,
                        at=_at(day, rng.randint(8, 17), rng.randint(0, 59)),
                        building=building,
                    )
                )
            day += dt.timedelta(days=rng.randint(5, 9))
    CheckIn.objects.bulk_create(checkins)
    tasks, owners = [], []
    lead = {}
    for assignment in assignments:
        lead.setdefault(assignment.compound_id, assignment)
    hard = Matter.objects.filter(
        community=community, tier=Tier.HARD, status__in=OPEN_STATUSES, compound_id__in=lead
    ).order_by("pk")
    for matter in hard:
        assignment = lead[matter.compound_id]
        at = matter.assigned_at or matter.created_at
        owners.append(MatterOwner(matter=matter, partner=assignment.cadre, assigned_at=at))
        tasks.append(CadreTask(assignment=assignment, matter=matter, dispatched_at=at))
    MatterOwner.objects.bulk_create(owners)
    CadreTask.objects.bulk_create(tasks)
    return len(assignments), len(checkins), len(tasks)

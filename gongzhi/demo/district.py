"""A district-scale dataset for benchmarks: one subdistrict (街道) of N communities.

Each community is about the size of X社区: 7 compounds, 10 grids, 70 buildings of 2–4 units,
≈ 7,000 households and ≈ 20,000 residents (household sizes and family patterns from
``seed.SIZE_WEIGHTS`` / ``seed.PATTERNS``), ≈ 115 partners (a neighbour partner for most
buildings, construction partners per compound, team partners), 12 teams and 9 organisations,
two staff accounts and one grid worker per grid; plus one subdistrict official. Each community
gets ``matters_per_community`` matters over the demo year (default 20,000), built by the demo's
own ``seed_matters._Seeder`` (same state machine, deadlines, sweep events, bounces, feedback)
with two differences, both for speed: owners are ranked by a simplified in-memory stand-in for
``routing.candidates`` (building's neighbour partner, then the compound's construction
partners and property company, then teams; the real one costs 0.2 s per compound and tier) and
the classifier's suggestions are skipped (suggested = final classification, no corrections).

**No personal data.** Generated residents have no ID number and no phone: the fields are
empty, so nothing is encrypted (Fernet at about 30 µs a value would add a minute per million
fields and the benchmarks do not read them). Names and birth dates are random.

Writing: the big tables (households, residents, matters, events, owners, reporters) go through
``core.bulkwrite``: primary keys reserved first (from the table's sequence on PostgreSQL, one
query), so related rows can point at them, then ``COPY … FROM STDIN`` on PostgreSQL and one
``executemany`` on SQLite; SQLite is meant for small runs (a few communities; it holds the
whole run in one transaction and one file).

Deterministic: the same ``seed`` and options give the same rows (ids aside). The whole run is
one transaction; it refuses (``DistrictExists``) when the subdistrict already exists.
"""

import datetime as dt
import multiprocessing
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from asgiref.local import Local
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction
from django.utils.translation import gettext as _
from faker.providers.person.zh_CN import Provider as NameProvider

from gongzhi.accounts.models import Profile, UserRole
from gongzhi.core import bulkwrite
from gongzhi.matters import routing
from gongzhi.matters.models import Matter, MatterEvent, MatterOwner, MatterReporter
from gongzhi.partners.models import (
    Organisation,
    OrganisationKind,
    Partner,
    PartnerKind,
    Skill,
    Team,
    TeamKind,
    TeamMembership,
)
from gongzhi.people.models import Resident
from gongzhi.places.models import (
    Building,
    Community,
    Compound,
    Grid,
    Household,
    Subdistrict,
    Unit,
)

from . import seed_matters
from .constants import PATTERNS, RELATIONS, SIZE_WEIGHTS, TODAY
from .seed_matters import Tier, _Seeder

COMPOUNDS = 7
GRIDS = 10
BUILDINGS = 70
HOUSEHOLDS_PER_BUILDING = 100
TEAMS = 12
MATTERS_PER_COMMUNITY = 20_000
COMPOUND_WORDS = "锦绣 滨江 渔湾 琴湖 鹦鹉 江南 月湖 梅子 晴川 知音 龟山 汉江 归元 墨水".split()
COMPOUND_SUFFIXES = ("苑", "新村", "花园", "小区", "家园")
TEAM_NAMES = (
    "红色物业服务队",
    "平安巡逻队",
    "文明劝导队",
    "环境卫生志愿队",
    "助老服务队",
    "邻里调解队",
    "青年志愿服务队",
    "文艺宣传队",
    "绿化养护队",
    "便民维修队",
    "法律援助队",
    "关爱儿童队",
)
_SURNAMES = list(NameProvider.last_names)
_SURNAME_WEIGHTS = list(NameProvider.last_names.values())
_MALE = list(NameProvider.first_names_male)
_FEMALE = list(NameProvider.first_names_female)


class DistrictExists(ValueError):
    pass


@dataclass
class Report:
    """What was written, and how long each part took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, count: int) -> None:
        self.rows[name] = self.rows.get(name, 0) + count

    def merge(self, other: "Report") -> None:
        """Add another part's rows and seconds (with workers the seconds add up across
        processes: they say where the work went, not how long the run took)."""
        for name, count in other.rows.items():
            self.add(name, count)
        for name, seconds in other.seconds.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def timed(self, name: str, started: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# -- writing ---------------------------------------------------------------------------------


def write(model, objs: list, report: Report | None = None, name: str = "") -> None:
    """``bulkwrite.write``, timed into ``report``: objects whose pks are already allocated."""
    started = time.perf_counter()
    bulkwrite.write(model, objs)
    if report is not None and objs:
        report.add(name or model._meta.model_name, len(objs))
        report.timed(name or model._meta.model_name, started)


def _insert(model, objs: list, report: Report, name: str = "") -> list:
    bulkwrite.allocate(model, objs)
    write(model, objs, report, name)
    return objs


# -- places and people -----------------------------------------------------------------------


@dataclass
class _Community:
    community: Community
    households: list = field(default_factory=list)  # rows in seed_matters' _places() shape
    members: dict = field(default_factory=dict)
    staff: list = field(default_factory=list)
    grid_workers: dict = field(default_factory=dict)
    by_building: dict = field(default_factory=dict)
    by_compound: dict = field(default_factory=dict)
    teams: list = field(default_factory=list)


def _name(rng: random.Random, male: bool, surname: str | None = None) -> str:
    surname = surname or rng.choices(_SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    return surname + rng.choice(_MALE if male else _FEMALE)


def _birth(rng: random.Random, age: int) -> dt.date:
    return TODAY - dt.timedelta(days=round(age * 365.25) + rng.randrange(365))


def _people(rng: random.Random, household: Household) -> list[Resident]:
    size = rng.choices(range(1, 7), weights=SIZE_WEIGHTS)[0]
    options = PATTERNS[size]
    pattern, _weight, ages = rng.choices(options, weights=[o[1] for o in options])[0]
    head_age = rng.randint(*ages)
    head_male = rng.random() < (0.75 if "S" in pattern else 0.5)
    surname = rng.choices(_SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    people = []
    for letter in pattern:
        if letter == "H":
            male, age, family = head_male, head_age, surname
        elif letter == "S":
            male, age, family = not head_male, max(18, head_age + rng.randint(-5, 5)), None
        elif letter == "C":
            male, age, family = rng.random() < 0.5, max(0, head_age - rng.randint(22, 34)), surname
        elif letter == "P":
            male, age, family = rng.random() < 0.4, head_age + rng.randint(22, 32), None
        elif letter == "O":
            male, age, family = rng.random() < 0.5, max(18, head_age - rng.randint(22, 32)), None
        else:  # G
            male, age, family = rng.random() < 0.5, max(0, head_age - rng.randint(45, 60)), None
        people.append(
            Resident(
                household=household,
                name=_name(rng, male, family),
                gender="M" if male else "F",
                birth_date=_birth(rng, age),
                relation=RELATIONS[letter],
            )
        )
    return people


def _places(rng, sub: Subdistrict, number: int, report: Report, per_building: int) -> _Community:
    started = time.perf_counter()
    community = Community.objects.create(subdistrict=sub, name=f"第{number:03d}社区")
    words = rng.sample(COMPOUND_WORDS, COMPOUNDS)
    compounds = Compound.objects.bulk_create(
        Compound(community=community, name=word + rng.choice(COMPOUND_SUFFIXES)) for word in words
    )
    grids = Grid.objects.bulk_create(
        Grid(community=community, name=_("Grid %(number)d") % {"number": n + 1})
        for n in range(GRIDS)
    )
    per_compound = BUILDINGS // COMPOUNDS
    buildings = Building.objects.bulk_create(
        Building(
            compound=compounds[n // per_compound],
            grid=grids[n * GRIDS // BUILDINGS],
            name=f"{n % per_compound + 1}栋",
            number=n % per_compound + 1,
        )
        for n in range(BUILDINGS)
    )
    units = []
    for building in buildings:
        for u in range(rng.randint(2, 4)):
            units.append(Unit(building=building, name=f"{u + 1}单元", number=u + 1))
    units = Unit.objects.bulk_create(units)
    report.add("places", len(compounds) + len(grids) + len(buildings) + len(units) + 1)
    report.timed("places", started)
    households = []
    per_unit: dict[int, int] = {}
    for unit in units:
        per_unit[unit.building_id] = per_unit.get(unit.building_id, 0) + 1
    for unit in units:
        target = max(
            1, round(rng.gauss(per_building, per_building * 0.12) / per_unit[unit.building_id])
        )
        per_floor = rng.choice((2, 3, 4))
        for n in range(target):
            floor, door = divmod(n, per_floor)
            households.append(Household(unit=unit, room=f"{floor + 1}{door + 1:02d}"))
    _insert(Household, households, report)
    residents = []
    for household in households:
        residents.extend(_people(rng, household))
    _insert(Resident, residents, report)
    data = _Community(community=community)
    building_of = {b.pk: b for b in buildings}
    compound_of = {c.pk: c for c in compounds}
    unit_of = {u.pk: u for u in units}
    for h in households:
        unit = unit_of[h.unit_id]
        b = building_of[unit.building_id]
        data.households.append(
            (
                h.pk,
                unit.name,
                b.pk,
                b.name,
                b.grid_id,
                b.compound_id,
                compound_of[b.compound_id].name,
            )
        )
    cutoff = TODAY - dt.timedelta(days=18 * 366)
    for r in residents:
        if r.birth_date <= cutoff:
            data.members.setdefault(r.household_id, []).append((r.pk, r.name))
    data.buildings, data.compounds, data.grids = buildings, compounds, grids
    data.residents = residents
    return data


def _actors(rng, data: _Community, sub: Subdistrict, report: Report, skills: list) -> None:
    """Partners, teams, organisations and the staff and grid-worker accounts."""
    started = time.perf_counter()
    community = data.community
    adults_by_building: dict[int, list] = {}
    household_building = {row[0]: row[2] for row in data.households}
    for household_id, members in data.members.items():
        adults_by_building.setdefault(household_building[household_id], []).extend(members)
    partners, joined = [], dt.date(2024, 4, 1)
    for b in data.buildings:
        if rng.random() < 0.85 and adults_by_building.get(b.pk):
            pk, name = rng.choice(adults_by_building[b.pk])
            partners.append(
                Partner(
                    resident_id=pk,
                    name=name,
                    kind=PartnerKind.NEIGHBOUR,
                    community=community,
                    compound_id=b.compound_id,
                    building=b,
                    is_party_member=rng.random() < 0.4,
                    joined_on=joined + dt.timedelta(days=rng.randrange(700)),
                )
            )
    for c in data.compounds:
        for _n in range(rng.randint(1, 2)):
            partners.append(
                Partner(
                    name=_name(rng, rng.random() < 0.7),
                    kind=PartnerKind.CONSTRUCTION,
                    community=community,
                    compound=c,
                    joined_on=joined + dt.timedelta(days=rng.randrange(700)),
                )
            )
    team_partners = [
        Partner(
            name=_name(rng, rng.random() < 0.5),
            kind=PartnerKind.TEAM,
            community=community,
            joined_on=joined + dt.timedelta(days=rng.randrange(700)),
        )
        for _n in range(TEAMS * 3)
    ]
    partners = Partner.objects.bulk_create(partners + team_partners)
    if skills:
        through = Partner.skills.through
        through.objects.bulk_create(
            through(partner_id=p.pk, skill_id=rng.choice(skills).pk)
            for p in partners
            if p.kind != PartnerKind.TEAM
        )
    teams = Team.objects.bulk_create(
        Team(
            name=name,
            kind=TeamKind.RED if n % 4 == 0 else TeamKind.VOLUNTEER,
            community=community,
            leader=team_partners[3 * n],
        )
        for n, name in enumerate(TEAM_NAMES[:TEAMS])
    )
    TeamMembership.objects.bulk_create(
        TeamMembership(team=t, partner=team_partners[3 * n + k], joined_on=joined)
        for n, t in enumerate(teams)
        for k in range(3)
    )
    organisations = [
        Organisation(
            name=f"{community.name}居民委员会",
            kind=OrganisationKind.RESIDENTS_COMMITTEE,
            subdistrict=sub,
            community=community,
        ),
        Organisation(
            name=f"{community.name}党委",
            kind=OrganisationKind.PARTY_COMMITTEE,
            subdistrict=sub,
            community=community,
        ),
    ] + [
        Organisation(
            name=f"{community.name}{c.name}物业服务中心",
            kind=OrganisationKind.PROPERTY_COMPANY,
            subdistrict=sub,
            community=community,
            compound=c,
        )
        for c in data.compounds
    ]
    organisations = Organisation.objects.bulk_create(organisations)
    for p in partners:
        if p.kind == PartnerKind.NEIGHBOUR:
            data.by_building.setdefault(p.building_id, []).append(p)
        elif p.kind == PartnerKind.CONSTRUCTION:
            data.by_compound.setdefault(p.compound_id, []).append(p)
    for o in organisations:
        if o.compound_id:
            data.by_compound.setdefault(o.compound_id, []).append(o)
    data.teams = teams
    report.add("partners", len(partners))
    report.add("teams", len(teams))
    report.add("organisations", len(organisations))
    # Accounts: no usable password (log in through ``changepassword`` or ``force_login``).
    User = get_user_model()
    password = make_password(None)
    users = [
        User(username=f"s{sub.pk}c{community.pk}-staff{n + 1}", password=password) for n in range(2)
    ] + [
        User(username=f"s{sub.pk}c{community.pk}-grid{n + 1}", password=password)
        for n in range(GRIDS)
    ]
    users = User.objects.bulk_create(users)
    Profile.objects.bulk_create(
        [Profile(user=u, role=UserRole.COMMUNITY_STAFF, community=community) for u in users[:2]]
        + [
            Profile(user=u, role=UserRole.GRID_WORKER, grid=g)
            for u, g in zip(users[2:], data.grids, strict=True)
        ]
    )
    data.staff = [u.pk for u in users[:2]]
    data.grid_workers = {g.pk: u.pk for u, g in zip(users[2:], data.grids, strict=True)}
    report.add("accounts", len(users))
    report.timed("actors", started)


# -- matters ---------------------------------------------------------------------------------


class _DistrictSeeder(_Seeder):
    """The demo's matter seeder fed from memory instead of the database."""

    suggest = False
    _texts: dict | None = None

    def __init__(self, data: _Community, rng: random.Random, *, start=None, end=None):
        self.community = data.community
        self.rng = rng
        self.now = seed_matters.now_at_today() if end is None else end
        self.day = start
        if _DistrictSeeder._texts is None:
            self._corpus()
            _DistrictSeeder._texts = self.texts
        self.texts = _DistrictSeeder._texts
        self.households = data.households
        self.members = data.members
        self.staff = data.staff
        self.grid_workers = data.grid_workers
        self.data = data
        self.policies = {}
        self.candidates = {}

    def created_times(self, count):
        if self.day is None:
            return super().created_times(count)
        # One day of new matters (the benchmark's incremental rollup).
        cats = list(seed_matters.CATEGORY_WEIGHTS)
        weights = [
            seed_matters.CATEGORY_WEIGHTS[c] * seed_matters._season(c, self.day.date())
            for c in cats
        ]
        seconds = sorted(self.rng.randrange(7 * 3600, 22 * 3600) for _n in range(count))
        return [
            (self.day + dt.timedelta(seconds=s), self.rng.choices(cats, weights=weights)[0])
            for s in seconds
        ]

    def owners_for(self, matter, building_id, compound_id) -> list:
        """Building's neighbour partner, the compound's construction partners and property
        company, then teams: small matters start at the building, hard ones with teams."""
        near = list(self.data.by_building.get(building_id, ()))
        compound = self.data.by_compound.get(compound_id, [])
        teams = self.data.teams[:4] if matter.tier == Tier.HARD else self.data.teams[4:8]
        if matter.tier == Tier.SMALL:
            ranked = near + compound + teams
        elif matter.tier == Tier.BIG:
            ranked = compound + near + teams
        else:
            ranked = teams + compound + near
        return ranked[:4]


def _matters(data: _Community, rng, count: int, report: Report, *, start=None, end=None) -> int:
    started = time.perf_counter()
    routing.install_default_rules(data.community)
    seeder = _DistrictSeeder(data, rng, start=start, end=end)
    lives = seeder.build(count)
    report.timed("matters (build in memory)", started)
    seed_matters.save(lives, lambda model, objs, name: write(model, objs, report, name))
    return len(lives)


# -- entry points ----------------------------------------------------------------------------


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _community(
    sub_pk: int, n: int, seed: int, matters: int, per_building: int, skills: list[int]
) -> tuple:
    """Build and write community number ``n + 1`` in its own transaction."""
    report = Report()
    rng = random.Random(f"district-{seed}-{n}")
    by_pk = Skill.objects.in_bulk(skills)
    skills = [by_pk[pk] for pk in skills]
    with transaction.atomic():
        sub = Subdistrict.objects.get(pk=sub_pk)
        data = _places(rng, sub, n + 1, report, per_building)
        _actors(rng, data, sub, report, skills)
        done = _matters(data, rng, matters, report)
    line = _(
        "%(community)s: %(households)d households, %(residents)d residents, %(matters)d matters"
    ) % {
        "community": data.community.name,
        "households": len(data.households),
        "residents": len(data.residents),
        "matters": done,
    }
    return report, line


_INHERITED: list = []


def _fresh_connections() -> None:
    """A worker's first act: forget every database connection inherited from the parent.

    After ``fork`` the parent's connection objects (of every thread and context, not only the
    one ``close_all`` closed) would point at the parent's sockets; two processes writing to one
    socket interleave their messages (seen in CI as an INSERT answered "ROLLBACK"). The worker
    starts from empty connection storage instead and keeps the old objects referenced, so they
    are never finalised here (that would end the parent's sessions)."""
    _INHERITED.append(connections._connections)
    connections._connections = Local(connections.thread_critical)


def _in_worker(*args) -> tuple:
    """A worker process's share: it opens its own database connection (the parent's was closed
    before the fork) and closes it when the community is written."""
    try:
        return _community(*args)
    finally:
        connections.close_all()


def generate_district(
    *,
    communities: int,
    seed: int = 1,
    matters_per_community: int = MATTERS_PER_COMMUNITY,
    subdistrict: str = "",
    households_per_building: int = HOUSEHOLDS_PER_BUILDING,
    workers: int = 1,
    stdout=None,
) -> Report:
    """Create the subdistrict with its communities; refuses when it exists already.

    Each community is written in its own transaction (a run of 100 in one transaction would
    queue millions of deferred foreign-key checks until its commit), so a run that fails
    part-way leaves the communities it finished; the subdistrict's name then refuses a second
    run — delete it or choose another name. With ``workers`` > 1 (PostgreSQL only, outside any
    transaction) communities are built in that many processes at once; each community's rows
    are the same whatever the number of workers, only the order of the ids differs.
    """
    if communities < 1 or matters_per_community < 0 or households_per_building < 1 or workers < 1:
        raise ValueError(
            _(
                "Give at least one community, one household per building, one worker and a "
                "non-negative number of matters."
            )
        )
    if workers > 1 and (connection.vendor != "postgresql" or connection.in_atomic_block):
        raise ValueError(
            _("Several workers need PostgreSQL and a run outside a transaction; use one worker.")
        )
    name = subdistrict or f"规模测试街道{seed}"
    from .seed import lookups

    with transaction.atomic():
        skills = [skill.pk for skill in lookups()["skills"].values()]
        if Subdistrict.objects.filter(name=name).exists():
            raise DistrictExists(
                _("Subdistrict %(name)s exists already; nothing was generated.") % {"name": name}
            )
        sub = Subdistrict.objects.create(name=name)
        official = get_user_model().objects.create(
            username=f"s{sub.pk}-official", password=make_password(None)
        )
        Profile.objects.create(user=official, role=UserRole.SUBDISTRICT_OFFICIAL, subdistrict=sub)
    report = Report()
    jobs = [
        (sub.pk, n, seed, matters_per_community, households_per_building, skills)
        for n in range(communities)
    ]
    if workers == 1:
        results = (_community(*job) for job in jobs)
    else:
        connections.close_all()  # never share a connection with forked children
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_fresh_connections,
        )
        results = pool.map(_in_worker, *zip(*jobs, strict=True))
    try:
        for part, line in results:
            report.merge(part)
            _say(stdout, line)
    finally:
        if workers > 1:
            pool.shutdown(cancel_futures=True)
    _analyze()
    return report


def _analyze() -> None:
    """Fresh planner statistics: after a COPY of millions of rows the old ones say "empty"
    and PostgreSQL picks nested loops over 30,000-row joins (seen in ``EXPLAIN ANALYZE``)."""
    if connection.vendor != "postgresql":
        return
    tables = (Household, Resident, Matter, MatterEvent, MatterOwner, MatterReporter, Partner)
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@transaction.atomic
def add_day(subdistrict: Subdistrict, day: dt.date, per_community: int, *, seed: int = 1) -> Report:
    """One more day of matters in every community of the subdistrict (for the rollup bench)."""
    report = Report()
    start = dt.datetime.combine(day, dt.time(), tzinfo=seed_matters.now_at_today().tzinfo)
    end = start + dt.timedelta(days=1)
    for n, community in enumerate(subdistrict.communities.order_by("pk")):
        rng = random.Random(f"district-{seed}-{day}-{n}")
        data = _Community(community=community)
        data.households = list(
            Household.objects.filter(unit__building__compound__community=community)
            .order_by("pk")
            .values_list(
                "pk",
                "unit__name",
                "unit__building_id",
                "unit__building__name",
                "unit__building__grid_id",
                "unit__building__compound_id",
                "unit__building__compound__name",
            )
        )
        cutoff = TODAY - dt.timedelta(days=18 * 366)
        for pk, household_id, name in Resident.objects.filter(
            household__unit__building__compound__community=community, birth_date__lte=cutoff
        ).values_list("pk", "household_id", "name"):
            data.members.setdefault(household_id, []).append((pk, name))
        profiles = Profile.objects.filter(community=community, role=UserRole.COMMUNITY_STAFF)
        data.staff = list(profiles.order_by("pk").values_list("user_id", flat=True)) or [None]
        data.grid_workers = dict(
            Profile.objects.filter(grid__community=community).values_list("grid_id", "user_id")
        )
        for p in Partner.objects.filter(community=community).order_by("pk"):
            if p.kind == PartnerKind.NEIGHBOUR:
                data.by_building.setdefault(p.building_id, []).append(p)
            elif p.kind == PartnerKind.CONSTRUCTION:
                data.by_compound.setdefault(p.compound_id, []).append(p)
        for o in Organisation.objects.filter(community=community, compound__isnull=False):
            data.by_compound.setdefault(o.compound_id, []).append(o)
        data.teams = list(Team.objects.filter(community=community).order_by("pk"))
        _matters(data, rng, per_community, report, start=start, end=end)
    return report

"""The persona world every test can use.

Subdistrict 琴台街道 with two communities:

* community A (X社区) — compounds 渔家苑 (buildings 1栋, 2栋) and 锦绣园 (building 1栋);
  grid A1 = 渔家苑 1栋, grid A2 = 渔家苑 2栋 + 锦绣园 1栋;
* community B (Y社区) — compound 江南小区 (building 1栋), grid B1.

Personas (password "pw-<username>"): ``official`` (subdistrict), ``staff_a``, ``staff_b``,
``grid_a1`` (grid worker of grid A1), ``partner_a`` (a neighbour partner's account),
``resident_a`` (lives in 渔家苑 1栋1单元101), ``admin`` (superuser).
"""

import datetime as dt
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import TransactionTestCase
from django.utils import timezone

from gongzhi.accounts.models import UserRole
from gongzhi.partners.models import (
    Organisation,
    Partner,
    PartnerKind,
    Role,
    Skill,
    Team,
    TeamKind,
    TeamMembership,
)
from gongzhi.people.models import Household, Relation, Resident
from gongzhi.places.models import Building, Community, Compound, Grid, Subdistrict
from tests.factories import make_household, make_partner, make_resident, make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default PBKDF2 costs ~0.2 s per persona; tests do not need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_not_required(settings):
    # The personas log in with force_login, without a second factor; the tests of the second
    # factor (tests/test_2fa.py) turn GONGZHI_REQUIRE_2FA on.
    settings.GONGZHI_REQUIRE_2FA = False


@contextmanager
def append_only_lifted(connection):
    """Drop the append-only triggers of a SQLite database for a moment and put them back.

    Django's flush on SQLite is ``DELETE FROM`` every table, which fires the triggers of the
    append-only tables (``core.appendonly.AppendOnly``, the points ledger); PostgreSQL's flush is
    ``TRUNCATE``, which they do not cover. Every trigger of the database is saved with its SQL,
    dropped, and created again from that SQL afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)


@pytest.fixture(autouse=True, scope="session")
def _append_only_flushable():
    """A transactional test (``django_db(transaction=True)``, the live server) ends with
    pytest-django's flush: run it with the append-only triggers lifted (``append_only_lifted``)."""
    flush = TransactionTestCase._fixture_teardown

    def flush_past_append_only(self):
        with ExitStack() as stack:
            for alias in self._databases_names(include_mirrors=False):
                stack.enter_context(append_only_lifted(connections[alias]))
            flush(self)

    TransactionTestCase._fixture_teardown = flush_past_append_only
    yield
    TransactionTestCase._fixture_teardown = flush


@dataclass
class Personas:
    """The personas' accounts (password "pw-<username>"). A test may add one for itself
    (``world.users.grid_a2 = make_user(...)``); reading a name that is not there fails."""

    admin: User
    official: User
    staff_a: User
    staff_b: User
    grid_a1: User
    partner_a: User
    resident_a: User


@dataclass
class World:
    """The persona world of the ``world`` fixture: reading a misspelt name fails
    (AttributeError). Builders may add their own people to it (tests/factories_network.py)."""

    sub: Subdistrict  # 琴台街道
    a: Community  # X社区
    b: Community  # Y社区
    yujia: Compound  # 渔家苑 (community A)
    jinxiu: Compound  # 锦绣园 (community A)
    jiangnan: Compound  # 江南小区 (community B)
    grid_a1: Grid  # A1: 渔家苑 1栋
    grid_a2: Grid  # A2: 渔家苑 2栋 + 锦绣园 1栋
    grid_b1: Grid  # B1: 江南小区 1栋
    y1: Building  # 渔家苑 1栋
    y2: Building  # 渔家苑 2栋
    j1: Building  # 锦绣园 1栋
    n1: Building  # 江南小区 1栋
    h_y1: Household  # 渔家苑 1栋 101
    h_y1b: Household  # 渔家苑 1栋 102
    h_y2: Household  # 渔家苑 2栋 201
    h_j1: Household  # 锦绣园 1栋 301
    h_n1: Household  # 江南小区 1栋 401
    res_a: Resident  # 王建国 (resident_a's resident)
    res_a_spouse: Resident  # 李秀英, his spouse
    res_y1b: Resident  # 赵敏
    res_y2: Resident  # 孙立
    res_j1: Resident  # 周芳
    res_b: Resident  # 吴刚 (community B)
    p_neighbour: Partner  # 王建国 as a neighbour partner (partner_a)
    p_construction: Partner  # 孙立, construction partner
    p_team: Partner  # 陈下沉, team partner
    p_b: Partner  # 吴刚, neighbour partner in B
    team_a: Team  # 渔家苑志愿服务队
    team_b: Team  # 江南志愿服务队
    org_a: Organisation  # X社区居委会
    org_b: Organisation  # Y社区居委会
    org_dept: Organisation  # 区房管局
    users: Personas  # the personas' accounts


@pytest.fixture
def world(db) -> World:
    sub = Subdistrict.objects.create(name="琴台街道")
    a = Community.objects.create(subdistrict=sub, name="X社区")
    b = Community.objects.create(subdistrict=sub, name="Y社区")
    yujia = Compound.objects.create(community=a, name="渔家苑")
    jinxiu = Compound.objects.create(community=a, name="锦绣园")
    jiangnan = Compound.objects.create(community=b, name="江南小区")
    grid_a1 = Grid.objects.create(community=a, name="第一网格")
    grid_a2 = Grid.objects.create(community=a, name="第二网格")
    grid_b1 = Grid.objects.create(community=b, name="第一网格")
    y1 = Building.objects.create(compound=yujia, name="1栋", number=1, grid=grid_a1)
    y2 = Building.objects.create(compound=yujia, name="2栋", number=2, grid=grid_a2)
    j1 = Building.objects.create(compound=jinxiu, name="1栋", number=1, grid=grid_a2)
    n1 = Building.objects.create(compound=jiangnan, name="1栋", number=1, grid=grid_b1)

    h_y1 = make_household(y1, "101")
    h_y1b = make_household(y1, "102")
    h_y2 = make_household(y2, "201")
    h_j1 = make_household(j1, "301")
    h_n1 = make_household(n1, "401")
    res_a = make_resident(h_y1, "王建国")
    res_a_spouse = make_resident(
        h_y1, "李秀英", relation=Relation.SPOUSE, male=False, phone="13987654321"
    )
    res_y1b = make_resident(h_y1b, "赵敏", male=False)
    res_y2 = make_resident(h_y2, "孙立")
    res_j1 = make_resident(h_j1, "周芳", male=False)
    res_b = make_resident(h_n1, "吴刚")

    p_neighbour = make_partner(
        name="王建国",
        kind=PartnerKind.NEIGHBOUR,
        community=a,
        compound=yujia,
        building=y1,
        resident=res_a,
    )
    p_construction = make_partner(
        name="孙立", kind=PartnerKind.CONSTRUCTION, community=a, compound=yujia, resident=res_y2
    )
    p_team = make_partner(name="陈下沉", kind=PartnerKind.TEAM, community=a)
    p_b = make_partner(
        name="吴刚",
        kind=PartnerKind.NEIGHBOUR,
        community=b,
        compound=jiangnan,
        building=n1,
        resident=res_b,
    )
    team_a = Team.objects.create(
        name="渔家苑志愿服务队",
        kind=TeamKind.VOLUNTEER,
        community=a,
        compound=yujia,
        leader=p_neighbour,
    )
    TeamMembership.objects.create(team=team_a, partner=p_neighbour, joined_on="2023-03-01")
    team_b = Team.objects.create(name="江南志愿服务队", kind=TeamKind.VOLUNTEER, community=b)
    org_a = Organisation.objects.create(
        name="X社区居委会",
        kind="residents_committee",
        subdistrict=sub,
        community=a,
        contact_phone="13700001234",
    )
    org_b = Organisation.objects.create(
        name="Y社区居委会", kind="residents_committee", subdistrict=sub, community=b
    )
    org_dept = Organisation.objects.create(name="区房管局", kind="department", subdistrict=sub)

    users = Personas(
        admin=make_user("admin", superuser=True),
        official=make_user("official", role=UserRole.SUBDISTRICT_OFFICIAL, subdistrict=sub),
        staff_a=make_user("staff_a", role=UserRole.COMMUNITY_STAFF, community=a),
        staff_b=make_user("staff_b", role=UserRole.COMMUNITY_STAFF, community=b),
        grid_a1=make_user("grid_a1", role=UserRole.GRID_WORKER, grid=grid_a1),
        partner_a=make_user("partner_a", role=UserRole.PARTNER, community=a, partner=p_neighbour),
        resident_a=make_user("resident_a", role=UserRole.RESIDENT, community=a, resident=res_a),
    )
    return World(
        sub=sub,
        a=a,
        b=b,
        yujia=yujia,
        jinxiu=jinxiu,
        jiangnan=jiangnan,
        grid_a1=grid_a1,
        grid_a2=grid_a2,
        grid_b1=grid_b1,
        y1=y1,
        y2=y2,
        j1=j1,
        n1=n1,
        h_y1=h_y1,
        h_y1b=h_y1b,
        h_y2=h_y2,
        h_j1=h_j1,
        h_n1=h_n1,
        res_a=res_a,
        res_a_spouse=res_a_spouse,
        res_y1b=res_y1b,
        res_y2=res_y2,
        res_j1=res_j1,
        res_b=res_b,
        p_neighbour=p_neighbour,
        p_construction=p_construction,
        p_team=p_team,
        p_b=p_b,
        team_a=team_a,
        team_b=team_b,
        org_a=org_a,
        org_b=org_b,
        org_dept=org_dept,
        users=users,
    )


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def med(world):
    """The world plus: 孙立 (construction partner) with the 矛盾调解 skill and an account
    ``mediator``; 老李 a senior party member; a second staff member of community A; a case at
    渔家苑 1栋 between 王建国 (resident_a) and 赵敏, opened by staff_a, mediated by 孙立."""
    # Imported here, as in ``claim``: a broken app fails its own tests, not every test.
    from gongzhi.mediation import services as mediation
    from tests.helpers import T0

    world.p_construction.skills.add(Skill.objects.get(name="矛盾调解"))
    senior = make_partner(name="老李", kind=PartnerKind.TEAM, community=world.a)
    senior.roles.add(Role.objects.get(code="senior_party_member"))
    mediator = make_user(
        "mediator", role=UserRole.PARTNER, community=world.a, partner=world.p_construction
    )
    staff_a2 = make_user("staff_a2", role=UserRole.COMMUNITY_STAFF, community=world.a)
    case = mediation.case_open(
        actor=world.users.staff_a,
        kind="neighbour",
        description="王建国与赵敏因楼道堆物发生争执，多次争吵",
        place=world.y1,
        residents=[world.res_a, world.res_y1b],
        mediators=[world.p_construction],
        now=T0,
    )
    return SimpleNamespace(
        world=world, case=case, mediator=mediator, staff_a2=staff_a2, senior=senior
    )


@pytest.fixture
def claim(world):
    """A volunteering claim on an earning rule of community A: 王建国 served 2 hours, confirmed."""
    from gongzhi.volunteering import services as volunteering
    from gongzhi.volunteering.models import ActivityKind, EarningRule, EarningUnit, PointsClaim

    EarningRule.objects.create(
        community=world.a,
        kind=ActivityKind.SERVICE,
        unit=EarningUnit.PER_HOUR,
        points=2,
        valid_from=timezone.localdate() - dt.timedelta(days=60),
    )
    activity = volunteering.activity_create(
        title="楼道清扫",
        kind=ActivityKind.SERVICE,
        organiser=world.team_a,
        actor=world.users.partner_a,
        date=timezone.localdate() - dt.timedelta(days=10),
        compound=world.yujia,
    )
    record = volunteering.service_record_add(
        activity=activity, participant=world.p_neighbour, minutes=120, actor=world.users.partner_a
    )
    volunteering.service_record_confirm(record=record, actor=world.users.partner_a)
    return PointsClaim.objects.get(record=record)

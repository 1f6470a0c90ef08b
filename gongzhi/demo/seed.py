"""The X-community demo: 琴台街道 (汉阳区, Wuhan) with X社区 at exactly the paper's figures.

X社区 is a 村改居 community: 4 compounds, 7,191 households, 21,235 residents, 12 volunteer
service teams with 1,192 registered volunteers (the neighbour partners), 65 construction
partners, and red work teams of team partners. A small Y社区 in the same subdistrict makes scope
isolation visible when logging in as different users.

Seeding happens in two steps. ``build_demo`` generates every row in memory from one seed and a
fixed "today" (``TODAY``), so two builds are identical; ``seed_demo`` writes them with
``core.bulkwrite`` in one transaction, plus one demo account per role. Encrypted columns differ
between runs only because Fernet tokens carry a random IV; the clear text is the same.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from faker import Faker

from gongzhi.accounts.models import Profile, UserRole
from gongzhi.core import bulkwrite
from gongzhi.core.demodates import authored
from gongzhi.core.identity import id_check_digit
from gongzhi.demo.constants import (  # noqa: F401 - seed_demo and bench read them here
    DEMO_COMMUNITY,
    HANYANG,
    MIGRANT_AREAS,
    MOBILE_PREFIXES,
    PATTERNS,
    RELATIONS,
    SIZE_WEIGHTS,
    SUBDISTRICT,
    TODAY,
    WUHAN_AREAS,
)
from gongzhi.partners.models import (
    Organisation,
    OrganisationKind,
    Partner,
    PartnerKind,
    Role,
    Skill,
    Team,
    TeamKind,
    TeamMembership,
)
from gongzhi.people.models import Gender, Resident, Tag
from gongzhi.places.models import (
    Building,
    Community,
    Compound,
    Grid,
    Household,
    Subdistrict,
    Unit,
)

SEED = 20240401
# Ages, join dates and tags are computed against the demo's today (core/demodates.py): the
# demo's year ends on the day it is seeded.
DEMO_PASSWORD = "gongzhi-demo"  # noqa: S105 - printed in the terminal on purpose

CONSTRUCTION_SKILLS = (
    "水电维修",
    "家电维修",
    "园艺绿化",
    "停车管理",
    "宠物管理",
    "环境卫生",
    "安全巡查",
    "设计规划",
    "法律咨询",
    "医疗护理",
    "理发",
    "文艺特长",
)
NEIGHBOUR_SKILLS = ("矛盾调解", "心理疏导", "教育辅导", "文艺特长", "医疗护理", "理发")


@dataclass(frozen=True)
class CompoundPlan:
    name: str
    buildings: int
    floors: tuple[int, int]
    units: tuple[int, int]
    flats_per_floor: tuple[int, int]
    grids: int
    property_company: str
    address: str


@dataclass(frozen=True)
class TeamPlan:
    name: str
    focus: str
    weight: float = 1.0  # volunteer teams: relative share of the neighbour partners
    source: str = ""  # red teams: "registered", "cadre" or "outdoor"
    size: int = 0  # red teams: number of team partners


@dataclass(frozen=True)
class CommunityPlan:
    name: str
    compounds: tuple[CompoundPlan, ...]
    households: int
    residents: int
    neighbour_partners: int
    construction_partners: int
    volunteer_teams: tuple[TeamPlan, ...]
    red_teams: tuple[TeamPlan, ...]
    organisations: tuple[tuple[str, str, str], ...]  # name, kind, description


X_PLAN = CommunityPlan(
    name=DEMO_COMMUNITY,
    compounds=(
        CompoundPlan(
            "渔家苑", 32, (11, 18), (2, 3), (2, 2), 3, "武汉汉江湾物业服务有限公司", "琴台大道68号"
        ),
        CompoundPlan(
            "琴湖新村", 28, (6, 7), (3, 3), (2, 2), 1, "武汉琴湖物业管理有限公司", "琴台大道102号"
        ),
        CompoundPlan(
            "锦绣园",
            22,
            (18, 18),
            (2, 2),
            (2, 3),
            2,
            "湖北楚天锦绣物业服务有限公司",
            "鹦鹉大道216号",
        ),
        CompoundPlan(
            "鹦鹉花园",
            20,
            (11, 18),
            (2, 3),
            (3, 3),
            2,
            "武汉鹦鹉洲物业服务有限公司",
            "鹦鹉大道258号",
        ),
    ),
    households=7191,
    residents=21235,
    neighbour_partners=1192,
    construction_partners=65,
    volunteer_teams=(
        TeamPlan(
            "夕阳红关爱孤老志愿服务队",
            "关爱孤老：定期探访独居、空巢和高龄老人，代购代办、陪同就医",
            1.4,
        ),
        TeamPlan(
            "绿色家园环境卫生志愿服务队",
            "环境卫生：楼道清理、卫生死角整治、每月共同缔造清洁日",
            1.3,
        ),
        TeamPlan("文明养犬志愿服务队", "文明养犬：劝导牵绳遛狗、清理犬只粪便、协助犬只登记", 0.7),
        TeamPlan(
            "红袖标平安巡逻志愿服务队", "平安巡逻：夜间巡逻、电动车充电安全检查、防诈骗宣传", 1.3
        ),
        TeamPlan("老娘舅邻里调解志愿服务队", "邻里调解：调解家庭矛盾和邻里纠纷，小事不出楼栋", 0.8),
        TeamPlan(
            "四点半课堂助学辅导志愿服务队", "助学辅导：放学后课业辅导、暑期托管、关爱留守儿童", 0.8
        ),
        TeamPlan("巧手便民维修志愿服务队", "便民维修：义务维修小家电和水电，磨刀理发", 0.7),
        TeamPlan("垃圾分类督导志愿服务队", "垃圾分类：桶边督导、分类宣传、可回收物积分兑换", 1.0),
        TeamPlan("银龄健康志愿服务队", "健康服务：测血压血糖、健康讲座、陪诊", 0.7),
        TeamPlan("琴台艺术团文体志愿服务队", "文体活动：广场舞、合唱、节日文艺汇演", 1.0),
        TeamPlan(
            "停车秩序劝导志愿服务队", "停车管理：劝导乱停车、疏通消防通道、管理非机动车棚", 0.8
        ),
        TeamPlan(
            "政策宣讲普法志愿服务队", "政策宣讲：宣讲惠民政策、普法宣传、协助办理政务服务", 0.6
        ),
    ),
    red_teams=(
        TeamPlan(
            "居住地报到党员先锋队",
            "居住地报到党员认领微心愿，参与议事协商和志愿服务",
            source="registered",
            size=56,
        ),
        TeamPlan(
            "下沉干部红色工作队",
            "区直部门和街道下沉干部包保小区，协调解决外墙维修、停车等难事",
            source="cadre",
            size=28,
        ),
        TeamPlan(
            "暖蜂驿站红色工作队",
            "快递小哥、外卖骑手、环卫工人随手拍、随手报，发现隐患及时上报",
            source="outdoor",
            size=34,
        ),
    ),
    organisations=(
        (
            "X社区居委会",
            OrganisationKind.RESIDENTS_COMMITTEE,
            "社区居民自治组织，“治理合伙人”的组织者",
        ),
        ("X社区党委", OrganisationKind.PARTY_COMMITTEE, "领导各小区党支部和楼栋党小组"),
        ("X社区妇联", OrganisationKind.WOMENS_FEDERATION, "妇女儿童关爱、家庭矛盾调解"),
        ("X社区社工站", OrganisationKind.SOCIAL_ORGANISATION, "琴台街道社工站驻社区服务点"),
        (
            "汉阳区同心社会工作服务中心",
            OrganisationKind.SOCIAL_ORGANISATION,
            "承接关爱孤老和儿童服务项目",
        ),
        ("X社区老年协会", OrganisationKind.SOCIAL_ORGANISATION, "组织老年人文体活动和互助"),
        ("X社区共同缔造工作室", OrganisationKind.OTHER, "社区规划师驻点，陪伴居民参与微项目"),
    ),
)

Y_PLAN = CommunityPlan(
    name="Y社区",
    compounds=(
        CompoundPlan(
            "江南小区", 4, (6, 6), (2, 2), (2, 2), 1, "武汉江南物业管理有限公司", "汉阳大道520号"
        ),
    ),
    households=80,
    residents=220,
    neighbour_partners=14,
    construction_partners=3,
    volunteer_teams=(
        TeamPlan("Y社区邻里守望志愿服务队", "邻里守望：探访老人、楼道清洁、平安巡逻"),
    ),
    red_teams=(
        TeamPlan("Y社区党员先锋队", "居住地报到党员参与社区服务", source="registered", size=5),
    ),
    organisations=(
        ("Y社区居委会", OrganisationKind.RESIDENTS_COMMITTEE, "社区居民自治组织"),
        ("Y社区党委", OrganisationKind.PARTY_COMMITTEE, "社区党组织"),
    ),
)

DEPARTMENTS = (
    ("琴台街道办事处", OrganisationKind.DEPARTMENT, "统筹辖区社区治理，组织下沉干部"),
    ("汉阳区房管局", OrganisationKind.DEPARTMENT, "房屋安全、物业监管、维修资金"),
    ("汉阳区城管执法局", OrganisationKind.DEPARTMENT, "违章搭建、占道经营、环境卫生执法"),
    ("汉阳区民政局", OrganisationKind.DEPARTMENT, "低保、养老服务、社会组织登记"),
    ("汉阳公安分局琴台派出所", OrganisationKind.DEPARTMENT, "治安、户籍、电动车防盗"),
    ("琴台街道人大代表联络站", OrganisationKind.OTHER, "区人大代表接待选民、联动解决难事"),
)

DEMO_LOGINS = (
    ("admin", gettext_lazy("superuser: everything")),
    ("official", gettext_lazy("subdistrict official of 琴台街道")),
    ("staff", gettext_lazy("community staff of X社区")),
    ("staff_y", gettext_lazy("community staff of Y社区 (sees nothing of X社区)")),
    ("grid1", gettext_lazy("grid worker of X社区 第一网格 (also grid2 … grid8)")),
    ("partner", gettext_lazy("a building leader (neighbour partner) of X社区")),
    ("resident", gettext_lazy("a resident of X社区 (sees only their own household)")),
)


@dataclass
class Account:
    username: str
    name: str = ""
    role: str = ""
    superuser: bool = False
    scope: dict = field(default_factory=dict)


@dataclass
class DemoData:
    """Every row of the demo, unsaved; foreign keys point at unsaved objects."""

    subdistrict: Subdistrict
    communities: list[Community] = field(default_factory=list)
    compounds: list[Compound] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)
    resident_tags: list[tuple[Resident, Tag]] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    partner_roles: list[tuple[Partner, Role]] = field(default_factory=list)
    partner_skills: list[tuple[Partner, Skill]] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    memberships: list[TeamMembership] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)


@dataclass
class _Person:
    resident: Resident
    age: int
    compound: Compound
    building: Building
    migrant: bool
    tags: list[str] = field(default_factory=list)

    @property
    def party_member(self) -> bool:
        return "党员" in self.tags


def age_on(born: dt.date, today: dt.date = TODAY) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class _Builder:
    """Generates the demo rows. One instance, one seed: the output depends on nothing else."""

    def __init__(self, *, tags: dict, roles: dict, skills: dict, seed: int = SEED):
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.tags = tags
        self.roles = roles
        self.skills = skills
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.leaders: set[int] = set()

    # -- small generators ------------------------------------------------------------------

    def date_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def birth_date(self, age: int) -> dt.date:
        return TODAY - dt.timedelta(days=round(age * 365.25) + self.rng.randrange(365))

    def id_number(self, area: str, born: dt.date, male: bool) -> str:
        while True:
            # The 17th digit is odd for men and even for women.
            order = self.rng.randrange(500) * 2 + 1 if male else self.rng.randrange(1, 500) * 2
            first17 = f"{area}{born:%Y%m%d}{order:03d}"
            if first17 not in self.used_ids:
                self.used_ids.add(first17)
                return first17 + id_check_digit(first17)

    def mobile(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def landline(self) -> str:
        return f"027-8{self.rng.randrange(10**7):07d}"

    def given_name(self, male: bool) -> str:
        return self.fake.first_name_male() if male else self.fake.first_name_female()

    # -- places ----------------------------------------------------------------------------

    def places(self, data: DemoData, plan: CommunityPlan, community: Community):
        """Compounds, grids, buildings and units; returns the occupied flats (unit, room)."""
        numerals = "一二三四五六七八九十"
        grid_no = 0
        flats: list[tuple[Unit, str]] = []
        for cplan in plan.compounds:
            compound = Compound(community=community, name=cplan.name)
            data.compounds.append(compound)
            buildings = []
            for number in range(1, cplan.buildings + 1):
                building = Building(compound=compound, name=f"{number}栋", number=number)
                buildings.append(building)
                floors = self.rng.randint(*cplan.floors)
                per_floor = self.rng.randint(*cplan.flats_per_floor)
                for unit_no in range(1, self.rng.randint(*cplan.units) + 1):
                    unit = Unit(building=building, name=f"{unit_no}单元", number=unit_no)
                    data.units.append(unit)
                    for floor in range(1, floors + 1):
                        for flat in range(1, per_floor + 1):
                            flats.append((unit, f"{floor}{flat:02d}"))
            # Grids split a compound's buildings into runs of neighbouring buildings.
            for index in range(cplan.grids):
                grid = Grid(community=community, name=f"第{numerals[grid_no]}网格")
                grid_no += 1
                data.grids.append(grid)
                start = len(buildings) * index // cplan.grids
                end = len(buildings) * (index + 1) // cplan.grids
                for building in buildings[start:end]:
                    building.grid = grid
            data.buildings.extend(buildings)
        if len(flats) < plan.households:
            raise ValueError(f"{plan.name}: {len(flats)} flats for {plan.households} households")
        chosen = sorted(self.rng.sample(range(len(flats)), plan.households))
        return [flats[i] for i in chosen]

    # -- residents -------------------------------------------------------------------------

    def household_sizes(self, households: int, residents: int) -> list[int]:
        sizes = self.rng.choices(range(1, 7), weights=SIZE_WEIGHTS, k=households)
        missing = residents - sum(sizes)
        while missing:
            i = self.rng.randrange(households)
            if missing > 0 and sizes[i] < 6:
                sizes[i] += 1
                missing -= 1
            elif missing < 0 and sizes[i] > 1:
                sizes[i] -= 1
                missing += 1
        return sizes

    def members(self, size: int) -> list[tuple[str, bool, int, str]]:
        """(pattern letter, male, age, surname) of each member, the head first."""
        rng = self.rng
        options = PATTERNS[size]
        pattern, _weight, ages = rng.choices(options, weights=[o[1] for o in options])[0]
        head_age = rng.randint(*ages)
        if "S" in pattern:
            head_male = rng.random() < 0.75
        else:
            head_male = rng.random() < (0.4 if head_age >= 60 else 0.55)
        surname = self.fake.last_name()
        family = surname
        out = [("H", head_male, head_age, surname)]
        first_child: tuple[bool, int] | None = None
        last_child_age = head_age
        child_spouse = ""
        for letter in pattern[1:]:
            if letter == "S":
                gap = rng.randint(0, 5)
                age = head_age - gap if head_male else head_age + gap
                spouse_surname = self.fake.last_name()
                if not head_male:
                    family = spouse_surname
                out.append(("S", not head_male, min(max(age, 20), 98), spouse_surname))
            elif letter == "C":
                if first_child is None:
                    male = True if "O" in pattern else rng.random() < 0.52
                    gap = rng.randint(23, 30) if "O" in pattern else rng.randint(23, 34)
                    age = max(head_age - gap, 0)
                    first_child = (male, age)
                else:
                    male = rng.random() < 0.52
                    age = max(last_child_age - rng.randint(1, 8), 0)
                last_child_age = age
                out.append(("C", male, age, family))
            elif letter == "P":
                if pattern.count("P") == 2 and out[-1][0] == "P":
                    age = max(out[-1][2] - rng.randint(0, 4), head_age + 18)
                    out.append(("P", False, min(age, 96), self.fake.last_name()))
                else:
                    male = pattern.count("P") == 2 or rng.random() < 0.35
                    age = min(head_age + rng.randint(24, 32), 98)
                    out.append(("P", male, age, surname if male else self.fake.last_name()))
            elif letter == "O":
                male = not first_child[0]
                age = max(first_child[1] + rng.randint(-3, 3), 20)
                child_spouse = self.fake.last_name()
                out.append(("O", male, age, child_spouse))
            elif letter == "G":
                if first_child is not None:
                    parent_age = first_child[1]
                    age = rng.randint(max(parent_age - 32, 0), max(parent_age - 22, 0))
                    g_surname = family if first_child[0] or not child_spouse else child_spouse
                else:
                    age = max(head_age - rng.randint(50, 62), 0)
                    g_surname = family
                out.append(("G", rng.random() < 0.52, age, g_surname))
        return out

    def residents(self, data: DemoData, plan: CommunityPlan, flats) -> list[_Person]:
        rng = self.rng
        people: list[_Person] = []
        sizes = self.household_sizes(plan.households, plan.residents)
        for (unit, room), size in zip(flats, sizes, strict=True):
            household = Household(unit=unit, room=room)
            data.households.append(household)
            building = unit.building
            migrant = rng.random() < 0.06
            area = rng.choice(MIGRANT_AREAS) if migrant else None
            low_income = rng.random() < 0.014
            hardship = not low_income and rng.random() < 0.01
            members = self.members(size)
            has_child_generation = any(m[0] == "C" for m in members)
            household_people = []
            for letter, male, age, surname in members:
                born = self.birth_date(age)
                resident = Resident(
                    household=household,
                    name=surname + self.given_name(male),
                    gender=Gender.MALE if male else Gender.FEMALE,
                    birth_date=born,
                    relation=RELATIONS[letter],
                )
                person_area = area or (HANYANG if rng.random() < 0.72 else rng.choice(WUHAN_AREAS))
                resident.set_id_number(self.id_number(person_area, born, male))
                real_age = age_on(born)
                if real_age >= 18 or (real_age >= 14 and rng.random() < 0.6):
                    if real_age < 76 or rng.random() < 0.6:
                        resident.phone = self.mobile()
                person = _Person(resident, real_age, building.compound, building, migrant)
                person.tags = self.person_tags(person, male, letter, has_child_generation)
                if migrant:
                    person.tags.append("流动人口")
                if low_income:
                    person.tags.append("低保")
                if hardship and letter == "H":
                    person.tags.append("困难家庭")
                household_people.append(person)
            if size == 1 and household_people[0].age >= 60:
                household_people[0].tags.append("独居老人")
            elif size > 1 and all(p.age >= 60 for p in household_people):
                for person in household_people:
                    person.tags.append("空巢老人")
            people.extend(household_people)
        for person in people:
            data.residents.append(person.resident)
            for tag in person.tags:
                data.resident_tags.append((person.resident, self.tags[tag]))
        return people

    def person_tags(self, person: _Person, male: bool, letter: str, has_children: bool):
        rng, age = self.rng, person.age
        tags = []
        if age >= 80:
            tags.append("高龄")
        party_rate = 0 if age < 18 else 0.045 if age < 36 else 0.08 if age < 60 else 0.13
        if rng.random() < party_rate:
            tags.append("党员")
        if rng.random() < (0.04 if age >= 60 else 0.012):
            tags.append("残疾")
        if male and 24 <= age <= 85 and rng.random() < 0.035:
            tags.append("退役军人")
        if age >= 45 and rng.random() < 0.012:
            tags.append("重病")
        if letter == "G" and age < 16 and not has_children:
            tags.append("留守儿童")
        return tags

    # -- partners and teams ----------------------------------------------------------------

    def pick(self, people: list[_Person], count: int, weight) -> list[_Person]:
        """``count`` people drawn without replacement, in proportion to ``weight``."""
        keyed = []
        for index, person in enumerate(people):
            w = weight(person)
            if w > 0:
                keyed.append((self.rng.random() ** (1 / w), -index, person))
        if len(keyed) < count:
            raise ValueError(f"only {len(keyed)} people to choose {count} from")
        keyed.sort(key=lambda item: item[:2], reverse=True)
        return [item[2] for item in keyed[:count]]

    def partner(self, data, community, kind, person=None, **fields) -> Partner:
        if person is not None:
            fields |= {
                "name": person.resident.name,
                "phone": person.resident.phone,
                "resident": person.resident,
                "is_party_member": person.party_member,
            }
        partner = Partner(
            community=community,
            kind=kind,
            joined_on=self.date_between(authored(2019, 3, 1), authored(2026, 9, 30)),
            **fields,
        )
        data.partners.append(partner)
        return partner

    def neighbour_partners(self, data, plan, community, people) -> list[Partner]:
        """Volunteers anchored at their building; every building has a 楼栋长."""

        def weight(person: _Person) -> float:
            if not 20 <= person.age <= 78:
                return 0
            w = 4.0 if person.party_member else 1.0
            if 50 <= person.age <= 72:
                w *= 2.5
            return w * (0.3 if person.migrant else 1)

        by_building: dict[int, list[_Person]] = {}
        for person in people:
            by_building.setdefault(id(person.building), []).append(person)
        building_leaders = [self.pick(group, 1, weight)[0] for group in by_building.values()]
        taken = {id(p) for p in building_leaders}
        rest = [p for p in people if id(p) not in taken]
        chosen = building_leaders + self.pick(
            rest, plan.neighbour_partners - len(building_leaders), weight
        )
        order = {id(person): index for index, person in enumerate(people)}
        chosen.sort(key=lambda person: order[id(person)])
        partners = []
        party_leader_seen: set[int] = set()
        for person in chosen:
            partner = self.partner(
                data,
                community,
                PartnerKind.NEIGHBOUR,
                person,
                compound=person.compound,
                building=person.building,
            )
            partners.append(partner)
            building_key = id(person.building)
            if id(person) in taken:
                data.partner_roles.append((partner, self.roles["building_leader"]))
            if person.party_member:
                if building_key not in party_leader_seen:
                    party_leader_seen.add(building_key)
                    data.partner_roles.append((partner, self.roles["building_party_leader"]))
                elif self.rng.random() < 0.35:
                    data.partner_roles.append((partner, self.roles["party_central_household"]))
                if person.age >= 65 and self.rng.random() < 0.5:
                    data.partner_roles.append((partner, self.roles["senior_party_member"]))
            if self.rng.random() < 0.2:
                skill = self.rng.choice(NEIGHBOUR_SKILLS)
                data.partner_skills.append((partner, self.skills[skill]))
        return partners

    def teams(self, data, community, plans, members_of) -> None:
        """Teams with their members and a leader from among them."""
        for plan, members in zip(plans, members_of, strict=True):
            team = Team(
                name=plan.name,
                kind=TeamKind.RED if plan.source else TeamKind.VOLUNTEER,
                community=community,
                focus=plan.focus,
            )
            data.teams.append(team)
            # Prefer a party member, and nobody leads two teams.
            candidates = [m for m in members if id(m) not in self.leaders] or members
            team.leader = next((m for m in candidates if m.is_party_member), candidates[0])
            self.leaders.add(id(team.leader))
            for member in members:
                joined = member.joined_on + dt.timedelta(days=self.rng.randrange(0, 180))
                data.memberships.append(
                    TeamMembership(team=team, partner=member, joined_on=min(joined, TODAY))
                )

    def volunteer_teams(self, data, plan, community, volunteers: list[Partner]) -> None:
        plans = plan.volunteer_teams
        weights = [t.weight for t in plans]
        members_of: list[list[Partner]] = [[] for _ in plans]
        for partner in volunteers:
            first = self.rng.choices(range(len(plans)), weights=weights)[0]
            members_of[first].append(partner)
            if len(plans) > 1 and self.rng.random() < 0.18:
                second = self.rng.choices(range(len(plans)), weights=weights)[0]
                if second != first:
                    members_of[second].append(partner)
        self.teams(data, community, plans, members_of)

    def construction_partners(self, data, plan, community, people) -> None:
        """社区能人 and 能工巧匠, anchored at their compound."""

        def weight(person: _Person) -> float:
            if not 28 <= person.age <= 68 or person.resident.phone == "":
                return 0
            return 1.5 if person.resident.gender == Gender.MALE else 1.0

        planner_given = False
        for person in self.pick(people, plan.construction_partners, weight):
            partner = self.partner(
                data, community, PartnerKind.CONSTRUCTION, person, compound=person.compound
            )
            data.partner_roles.append((partner, self.roles["community_talent"]))
            skills = self.rng.sample(CONSTRUCTION_SKILLS, self.rng.choice((1, 1, 2, 2, 3)))
            for skill in skills:
                data.partner_skills.append((partner, self.skills[skill]))
            if "设计规划" in skills and not planner_given:
                planner_given = True
                data.partner_roles.append((partner, self.roles["community_planner"]))

    def team_partners(self, data, plan, community, people) -> list[list[Partner]]:
        """居住地报到党员 (residents), 下沉干部 and 户外工作者 (outside people)."""
        registered_pool = [p for p in people if p.party_member and 25 <= p.age <= 60]
        needed = sum(t.size for t in plan.red_teams if t.source == "registered")
        registered = self.pick(registered_pool, needed, lambda p: 1.0)
        members_of = []
        for team in plan.red_teams:
            members = []
            for _index in range(team.size):
                if team.source == "registered":
                    partner = self.partner(data, community, PartnerKind.TEAM, registered.pop())
                    role = "registered_party_member"
                else:
                    male = self.rng.random() < (0.6 if team.source == "cadre" else 0.85)
                    partner = self.partner(
                        data,
                        community,
                        PartnerKind.TEAM,
                        name=self.fake.last_name() + self.given_name(male),
                        phone=self.mobile(),
                        is_party_member=self.rng.random()
                        < (0.9 if team.source == "cadre" else 0.2),
                    )
                    role = "dispatched_cadre" if team.source == "cadre" else "outdoor_worker"
                data.partner_roles.append((partner, self.roles[role]))
                members.append(partner)
            members_of.append(members)
        return members_of

    def organisations(self, data, plan, sub, community, compounds) -> None:
        def add(name, kind, description, compound=None, address=""):
            data.organisations.append(
                Organisation(
                    name=name,
                    kind=kind,
                    subdistrict=sub,
                    community=community,
                    compound=compound,
                    contact_name=self.fake.name(),
                    contact_phone=self.landline(),
                    address=address,
                    description=description,
                )
            )

        for name, kind, description in plan.organisations:
            add(name, kind, description)
        for cplan, compound in zip(plan.compounds, compounds, strict=True):
            address = f"汉阳区{cplan.address}"
            add(f"{cplan.name}党支部", OrganisationKind.PARTY_BRANCH, "", compound, address)
            add(f"{cplan.name}业主委员会", OrganisationKind.OWNERS_COMMITTEE, "", compound, address)
            add(cplan.property_company, OrganisationKind.PROPERTY_COMPANY, "", compound, address)

    # -- whole community -------------------------------------------------------------------

    def community(self, data: DemoData, plan: CommunityPlan) -> list[Partner]:
        community = Community(subdistrict=data.subdistrict, name=plan.name)
        data.communities.append(community)
        first_compound = len(data.compounds)
        flats = self.places(data, plan, community)
        people = self.residents(data, plan, flats)
        neighbours = self.neighbour_partners(data, plan, community, people)
        self.volunteer_teams(data, plan, community, neighbours)
        # Each resident is a partner of one kind only, so the three circles stay distinct.
        taken = {id(n.resident) for n in neighbours}
        others = [p for p in people if id(p.resident) not in taken]
        self.construction_partners(data, plan, community, others)
        taken = {id(p.resident) for p in data.partners if p.resident is not None}
        others = [p for p in people if id(p.resident) not in taken]
        self.teams(
            data, community, plan.red_teams, self.team_partners(data, plan, community, others)
        )
        self.organisations(data, plan, data.subdistrict, community, data.compounds[first_compound:])
        return neighbours


def build_demo(subdistrict: Subdistrict, *, tags: dict, roles: dict, skills: dict) -> DemoData:
    """Generate the demo rows in memory: X社区, then Y社区 and the subdistrict's departments."""
    builder = _Builder(tags=tags, roles=roles, skills=skills)
    data = DemoData(subdistrict=subdistrict)
    x_neighbours = builder.community(data, X_PLAN)
    x_grids = list(data.grids)
    builder.community(data, Y_PLAN)
    for name, kind, description in DEPARTMENTS:
        data.organisations.append(
            Organisation(
                name=name,
                kind=kind,
                subdistrict=subdistrict,
                contact_name=builder.fake.name(),
                contact_phone=builder.landline(),
                description=description,
            )
        )
    x, y = data.communities
    leader = next(p for p in x_neighbours if p.building.compound.name == "渔家苑")
    household = leader.resident.household
    resident = next(r for r in data.residents if r.household is not household and r.is_head)
    fake = builder.fake
    data.accounts = [
        Account("admin", superuser=True),
        Account(
            "official",
            fake.name(),
            UserRole.SUBDISTRICT_OFFICIAL,
            scope={"subdistrict": subdistrict},
        ),
        Account("staff", fake.name(), UserRole.COMMUNITY_STAFF, scope={"community": x}),
        Account("staff_y", fake.name(), UserRole.COMMUNITY_STAFF, scope={"community": y}),
        *(
            Account(f"grid{n}", fake.name(), UserRole.GRID_WORKER, scope={"grid": grid})
            for n, grid in enumerate(x_grids, start=1)
        ),
        Account(
            "partner", leader.name, UserRole.PARTNER, scope={"community": x, "partner": leader}
        ),
        Account(
            "resident",
            resident.name,
            UserRole.RESIDENT,
            scope={"community": x, "resident": resident},
        ),
    ]
    return data


def _through(rows, manager_field, owner_attr: str, target_attr: str):
    through = manager_field.through
    return [through(**{f"{owner_attr}_id": a.pk, f"{target_attr}_id": b.pk}) for a, b in rows]


def _write(data: DemoData) -> None:
    """Every registry row, through ``core.bulkwrite`` (keys allocated, then one statement or
    ``COPY`` per table), in the order rows point at each other."""
    for model, rows in (
        (Community, data.communities),
        (Compound, data.compounds),
        (Grid, data.grids),
        (Building, data.buildings),
        (Unit, data.units),
        (Household, data.households),
        (Resident, data.residents),
    ):
        bulkwrite.insert(model, rows)
    # Built once the rows they join have their keys.
    tags = _through(data.resident_tags, Resident.tags, "resident", "tag")
    bulkwrite.insert(Resident.tags.through, tags)
    bulkwrite.insert(Partner, data.partners)
    roles = _through(data.partner_roles, Partner.roles, "partner", "role")
    skills = _through(data.partner_skills, Partner.skills, "partner", "skill")
    for model, rows in (
        (Partner.roles.through, roles),
        (Partner.skills.through, skills),
        (Team, data.teams),
        (TeamMembership, data.memberships),
        (Organisation, data.organisations),
    ):
        bulkwrite.insert(model, rows)


def _write_accounts(accounts: list[Account], stdout=None) -> None:
    User = get_user_model()
    existing = set(
        User.objects.filter(username__in=[a.username for a in accounts]).values_list(
            "username", flat=True
        )
    )
    # One hash for all demo accounts: hashing is deliberately slow, and they share a password.
    password = make_password(DEMO_PASSWORD)
    for account in accounts:
        if account.username in existing:
            if stdout is not None:
                stdout.write(
                    _("Account %(username)s already exists; left unchanged.")
                    % {"username": account.username}
                )
            continue
        user = User.objects.create(
            username=account.username,
            first_name=account.name,
            password=password,
            is_staff=account.superuser,
            is_superuser=account.superuser,
        )
        if not account.superuser:
            Profile.objects.create(user=user, role=account.role, **account.scope)


def demo_loaded() -> bool:
    return Community.objects.filter(subdistrict__name=SUBDISTRICT, name=DEMO_COMMUNITY).exists()


def lookups() -> dict:
    """The tags, roles and skills the demo uses, created if an admin deleted them."""
    tags = {name: Tag.objects.get_or_create(name=name)[0] for name in _TAG_NAMES}
    roles = {
        code: Role.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in _ROLES
    }
    skills = {
        name: Skill.objects.get_or_create(name=name)[0]
        for name in (*CONSTRUCTION_SKILLS, *NEIGHBOUR_SKILLS)
    }
    return {"tags": tags, "roles": roles, "skills": skills}


_TAG_NAMES = (
    "独居老人",
    "空巢老人",
    "高龄",
    "残疾",
    "低保",
    "退役军人",
    "党员",
    "流动人口",
    "留守儿童",
    "重病",
    "困难家庭",
)
_ROLES = (
    ("building_leader", "楼栋长"),
    ("building_party_leader", "楼栋党小组组长"),
    ("party_central_household", "党员中心户"),
    ("dispatched_cadre", "下沉干部"),
    ("registered_party_member", "居住地报到党员"),
    ("outdoor_worker", "户外工作者"),
    ("community_planner", "社区规划师"),
    ("community_talent", "社区能人"),
    ("senior_party_member", "老党员"),
)


@transaction.atomic
def seed_demo(*, stdout=None) -> bool:
    """Load the demo once. Returns False (and changes nothing) when it is already loaded."""
    if demo_loaded():
        return False
    if stdout is not None:
        stdout.write(_("Loading the demo data of %(subdistrict)s …") % {"subdistrict": SUBDISTRICT})
    subdistrict, _created = Subdistrict.objects.get_or_create(name=SUBDISTRICT)
    data = build_demo(subdistrict, **lookups())
    _write(data)
    _write_accounts(data.accounts, stdout)
    from gongzhi.demo.seed_matters import seed_matters

    for community in data.communities:
        seed_matters(community, stdout=stdout)
    from gongzhi.volunteering.demo import seed_volunteering  # service, points, the shop

    seed_volunteering(data.communities[0], rng=random.Random(SEED))
    from gongzhi.honours.demo import seed_honours  # after service records and points

    seed_honours(data.communities[0], rng=random.Random(SEED))
    from gongzhi.demo.seed_action import seed_action  # meetings and mediation of X社区

    seed_action(data.communities[0], stdout=stdout)
    from gongzhi.projects.demo import seed_projects  # after matters and meetings

    seed_projects(data.communities[0], rng=random.Random(SEED))
    from gongzhi.experiences.demo import seed_experiences  # links projects, matters, meetings

    seed_experiences(data.communities[0], rng=random.Random(SEED))
    from gongzhi.visits.demo import seed_visits  # after grid-visit matters

    seed_visits(data.communities[0], rng=random.Random(SEED))
    from gongzhi.party.demo import seed_party  # after matters and service records

    seed_party(data.communities[0], rng=random.Random(SEED))
    from gongzhi.maps.demo import seed_maps  # the plan of X社区, from its registry

    seed_maps(data.communities[0])
    from gongzhi.demo.seed_waiting import seed_waiting  # the phone accounts' own work

    seed_waiting(data.communities[0])
    from gongzhi.insights.rollup import rollup  # the dashboards read pre-aggregated rows

    rollup(full=True)
    return True


def write_logins(stdout) -> None:
    """Print one demo login per role (all demo accounts share ``DEMO_PASSWORD``)."""
    stdout.write(_("Demo logins, password %(password)s for all:") % {"password": DEMO_PASSWORD})
    for username, description in DEMO_LOGINS:
        stdout.write(f"  {username:<10} {description}")

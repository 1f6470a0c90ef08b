"""The X-community demo's micro-projects: exactly the paper's 18 (微改造 4, 微服务 4, 微心愿 3,
微空间 4, 微治理 3), all completed or closed, with pre-evaluation votes, supervision logs by the
community planner, co-building labour on the 共同缔造公园 and post-evaluation ratings; and a
wish board. Deterministic (``rng``) and idempotent (nothing is added when projects exist)."""

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from gongzhi.accounts.models import Profile, UserRole
from gongzhi.core.demodates import TODAY, authored
from gongzhi.partners.models import Partner, PartnerKind
from gongzhi.people.models import Resident
from gongzhi.places.models import Community, Compound
from gongzhi.projects.models import (
    Channel,
    CoBuilding,
    Kind,
    PreVote,
    Project,
    ProjectEvent,
    Rating,
    Source,
    Stage,
    SupervisionLog,
    VoteChoice,
    Wish,
    WishCategory,
    WishStatus,
)
from gongzhi.projects.services import co_building_organiser, co_building_source, rating_summary

# (kind, title, description, budget, compound index or None, closed?)
PROJECTS = [
    (Kind.MICRO_RENOVATION, "垃圾中转站改造", "将露天垃圾中转站改为封闭式，加装除臭喷淋和洗手池，分类投放点前移。", 86000, 0, True),
    (Kind.MICRO_RENOVATION, "非机动车棚建设", "在楼栋间空地建设带智能充电桩的非机动车棚，消除电动车飞线充电隐患。", 64000, 1, True),
    (Kind.MICRO_RENOVATION, "电梯安全检测与维修", "对老旧电梯开展安全检测，更换曳引钢丝绳和门机，建立维保公示牌。", 128000, 2, True),
    (Kind.MICRO_RENOVATION, "楼道照明和扶手改造", "更换声控感应灯，老人多的楼栋加装楼梯扶手。", 23000, 3, False),
    (Kind.MICRO_SERVICE, "长者爱心午餐", "依托社区食堂为80岁以上和独居老人提供午餐，志愿者送餐上门。", 30000, None, True),
    (Kind.MICRO_SERVICE, "四点半课堂", "放学后由大学生志愿者和退休教师陪伴孩子写作业。", 12000, None, True),
    (Kind.MICRO_SERVICE, "便民维修日", "每月第一个周六，家电、修鞋、磨刀、理发等服务进小区。", 8000, 0, True),
    (Kind.MICRO_SERVICE, "智能手机课堂", "志愿者教老人用手机挂号、缴费、视频通话。", 5000, None, False),
    (Kind.MICRO_WISH, "为独居老人安装紧急呼叫器", "一位独居老人的心愿：夜里有事能叫到人。", 3000, 1, True),
    (Kind.MICRO_WISH, "留守儿童的一套课外书", "孩子的心愿是一套科普读物，由共建单位认领。", 800, 2, True),
    (Kind.MICRO_WISH, "残疾居民出行坡道", "单元门口加装无障碍坡道，方便轮椅出入。", 6000, 3, False),
    (Kind.MICRO_SPACE, "共同缔造公园", "把废弃菜地改造成口袋公园，居民投工投劳铺路、种树、做座椅。", 150000, 0, True),
    (Kind.MICRO_SPACE, "楼栋议事角", "在架空层布置议事角，配桌椅、公示栏和雨棚。", 15000, 1, True),
    (Kind.MICRO_SPACE, "儿童游乐区", "在小区中心绿地增设安全地垫和游乐设施。", 45000, 2, True),
    (Kind.MICRO_SPACE, "共享晾晒区", "规范晾晒，拆除乱拉的绳子，统一安装晾衣架。", 9000, 3, False),
    (Kind.MICRO_GOVERNANCE, "楼栋公约共议", "各楼栋居民共同商议文明公约，张贴上墙并由楼栋长督促。", 2000, None, True),
    (Kind.MICRO_GOVERNANCE, "停车自治管理", "成立停车自管小组，划定车位、错时停车、收费公开。", 18000, 1, True),
    (Kind.MICRO_GOVERNANCE, "红色物业议事会", "党支部、业委会、物业每月联席议事，问题清单化办理。", 3000, None, False),
]  # fmt: skip

VOTE_COMMENTS_FOR = ["早就该弄了", "支持，希望尽快动工", "这个办法好", "我愿意出力", "为老人孩子考虑，支持", "赞成，注意施工噪音"]  # fmt: skip
VOTE_COMMENTS_AGAINST = ["担心占用绿地", "费用太高了", "位置离我家窗户太近", "先把别的事办好"]  # fmt: skip
PROBLEMS = ["", "", "施工围挡不完整，已要求整改", "材料堆放占用消防通道", "部分居民反映噪音，调整作业时间", "防水层未干即铺面层，返工"]  # fmt: skip
RATING_COMMENTS = {
    5: ["非常满意，环境大变样", "大家一起干的，有感情", "老人出门方便多了"],
    4: ["挺好的，维护要跟上", "满意，希望多办这样的事"],
    3: ["还行，有些细节没做好", "工期拖得有点长"],
    2: ["质量一般"],
    1: ["没解决根本问题"],
}
WISHES = [
    ("想请人帮忙换一下厨房的灯泡", WishCategory.REPAIR),
    ("孙子想要一个书包", WishCategory.CHILDREN),
    ("希望有人陪我去医院复查", WishCategory.HEALTH),
    ("想学会用手机视频通话", WishCategory.DAILY),
    ("家里水龙头漏水，想请人修一修", WishCategory.REPAIR),
    ("想要一副老花镜", WishCategory.ELDERLY),
    ("希望周末有人陪孩子下棋", WishCategory.CHILDREN),
    ("想请人帮忙把旧家具搬下楼", WishCategory.DAILY),
    ("想要一个助行器", WishCategory.ELDERLY),
    ("希望有人帮忙读读报纸", WishCategory.ELDERLY),
]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def seed_projects(community: Community, *, rng: random.Random) -> list[Project]:
    """Add the demo projects and wishes to ``community`` (once)."""
    if Project.objects.filter(community=community).exists():
        return []
    compounds = list(Compound.objects.filter(community=community).order_by("id"))
    planner = (
        Partner.objects.filter(community=community, roles__code="community_planner")
        .order_by("id")
        .first()
    )
    staff_profile = (
        Profile.objects.filter(role=UserRole.COMMUNITY_STAFF, community=community)
        .select_related("user")
        .order_by("id")
        .first()
    )
    staff = staff_profile.user if staff_profile else None
    planner_user = (
        Profile.objects.filter(partner=planner).select_related("user").first() if planner else None
    )
    projects, events, votes, ratings, logs = [], [], [], [], []
    for i, (kind, title, text, budget, compound_index, closed) in enumerate(PROJECTS):
        compound = (
            compounds[compound_index % len(compounds)] if compound_index is not None else None
        )
        proposed = TODAY - dt.timedelta(days=700 - i * 30 + rng.randrange(10))
        decided = proposed + dt.timedelta(days=14 + rng.randrange(7))
        started = decided + dt.timedelta(days=7 + rng.randrange(14))
        completed = started + dt.timedelta(days=20 + rng.randrange(60))
        project = Project(
            community=community,
            compound=compound,
            kind=kind,
            title=title,
            description=text,
            budget=Decimal(budget),
            planner=planner,
            source=rng.choice([Source.MATTER, Source.DECISION, Source.STAFF])
            if kind != Kind.MICRO_WISH
            else Source.WISH,
            stage=Stage.CLOSED if closed else Stage.COMPLETED,
            progress=100,
            proposed_at=_at(proposed),
            proposed_by=staff,
            decided_at=_at(decided),
            decided_by=staff,
            started_on=started,
            completed_on=completed,
            closed_at=_at(completed + dt.timedelta(days=30)) if closed else None,
        )
        projects.append((project, proposed, decided, started, completed, closed))
    Project.objects.bulk_create([p[0] for p in projects])

    for project, proposed, decided, started, completed, closed in projects:
        scope = Resident.objects.filter(household__unit__building__compound__community=community)
        if project.compound_id:
            scope = scope.filter(household__unit__building__compound=project.compound_id)
        pool = list(
            scope.filter(~Q(birth_date__gt=authored(2008, 11, 1))).values_list("id", flat=True)[
                :3000
            ]
        )
        voters = rng.sample(pool, min(len(pool), rng.randint(40, 120)))
        support = 0
        for n, resident_id in enumerate(voters):
            yes = rng.random() < 0.86
            support += yes
            votes.append(
                PreVote(
                    project=project,
                    resident_id=resident_id,
                    choice=VoteChoice.SUPPORT if yes else VoteChoice.OPPOSE,
                    comment=rng.choice(VOTE_COMMENTS_FOR if yes else VOTE_COMMENTS_AGAINST)
                    if rng.random() < 0.3
                    else "",
                    channel=rng.choice(list(Channel.values)),
                    at=_at(proposed + dt.timedelta(days=1 + n % 12), 9 + n % 10),
                )
            )
        project.votes_support, project.votes_oppose = support, len(voters) - support
        project.decision_note = (
            f"预评估{len(voters)}人参与，{support}人支持，超过三分之二，经居民议事会讨论同意立项。"
        )
        days = (completed - started).days
        for k in range(1, 4):
            day = started + dt.timedelta(days=days * k // 4)
            logs.append(
                SupervisionLog(
                    project=project,
                    inspected_on=day,
                    progress=min(100, 25 * k + rng.randrange(-5, 6)),
                    problems=rng.choice(PROBLEMS),
                    note="社区规划师现场查看施工质量与进度",
                    author=planner_user.user if planner_user else staff,
                    created_at=_at(day, 16),
                )
            )
        raters = rng.sample(voters, min(len(voters), rng.randint(25, 60)))
        for n, resident_id in enumerate(raters):
            score = rng.choices([5, 4, 3, 2, 1], weights=[55, 33, 8, 3, 1])[0]
            ratings.append(
                Rating(
                    project=project,
                    resident_id=resident_id,
                    score=score,
                    comment=rng.choice(RATING_COMMENTS[score]) if rng.random() < 0.35 else "",
                    channel=rng.choice(list(Channel.values)),
                    at=_at(completed + dt.timedelta(days=3 + n % 20), 9 + n % 10),
                )
            )
        steps = [
            ("propose", "", Stage.PROPOSED, proposed),
            ("open_pre_evaluation", Stage.PROPOSED, Stage.PRE_EVALUATION, proposed),
            ("approve", Stage.PRE_EVALUATION, Stage.APPROVED, decided),
            ("start", Stage.APPROVED, Stage.IN_PROGRESS, started),
            ("complete", Stage.IN_PROGRESS, Stage.COMPLETED, completed),
        ]
        if closed:
            steps += [
                ("open_post_evaluation", Stage.COMPLETED, Stage.POST_EVALUATION, completed),
                ("close", Stage.POST_EVALUATION, Stage.CLOSED, completed + dt.timedelta(days=30)),
            ]
        events += [
            ProjectEvent(
                project=project, at=_at(day), actor=staff, action=a, from_status=f, to_status=t
            )
            for a, f, t, day in steps
        ]
    PreVote.objects.bulk_create(votes)
    Rating.objects.bulk_create(ratings)
    SupervisionLog.objects.bulk_create(logs)
    ProjectEvent.objects.bulk_create(events)
    for project, *_rest, closed in projects:
        if closed:
            summary = rating_summary(Rating.objects.filter(project=project))
            project.rating_count = summary["count"]
            project.rating_average = summary["average"]
            project.satisfaction = summary["satisfaction"]
    Project.objects.bulk_update(
        [p[0] for p in projects],
        [
            "votes_support",
            "votes_oppose",
            "decision_note",
            "rating_count",
            "rating_average",
            "satisfaction",
        ],
    )
    _park_labour(projects, community, staff, rng)
    _wishes(community, projects, rng)
    return [p[0] for p in projects]


def _park_labour(projects, community, staff, rng) -> None:
    """Residents' labour on the 共同缔造公园, as service records through volunteering."""
    from gongzhi.volunteering.services import co_building_record

    park, _p, _d, started, completed, _c = next(p for p in projects if p[0].title == "共同缔造公园")
    organiser = co_building_organiser(park)
    people = list(
        Resident.objects.filter(household__unit__building__compound=park.compound_id)
        .filter(birth_date__lte=authored(2006, 1, 1), birth_date__gte=authored(1950, 1, 1))
        .order_by("id")
        .values_list("id", flat=True)[:600]
    )
    for k, note in enumerate(["清理废弃菜地", "铺设透水砖步道", "种植樱花和桂花", "组装木座椅"]):
        day = started + dt.timedelta(days=7 * (k + 1))
        chosen = Resident.objects.filter(pk__in=rng.sample(people, min(len(people), 12 + 3 * k)))
        if staff is not None and organiser is not None:
            co_building_record(
                project_source=co_building_source(park),
                participants=list(chosen),
                minutes=180,
                organiser=organiser,
                actor=staff,
                date=day,
                title=f"共同缔造公园：{note}",
            )
        CoBuilding.objects.create(
            project=park, date=day, minutes=180, participants=chosen.count(), note=note,
            recorded_by=staff,
        )  # fmt: skip


def _wishes(community, projects, rng) -> None:
    partners = list(
        Partner.objects.active().filter(community=community, kind=PartnerKind.NEIGHBOUR)[:50]
    )
    residents = list(
        Resident.objects.filter(household__unit__building__compound__community=community)
        .filter(birth_date__lte=dt.date(1960, 1, 1))
        .select_related("household__unit__building__compound")
        .order_by("id")[:400]
    )
    if not residents or not partners:
        return
    wishes = []
    for n in range(40):
        resident = rng.choice(residents)
        text, category = WISHES[n % len(WISHES)]
        posted = TODAY - dt.timedelta(days=rng.randrange(5, 300))
        status = rng.choices(
            [WishStatus.CONFIRMED, WishStatus.FULFILLED, WishStatus.CLAIMED, WishStatus.OPEN],
            weights=[60, 10, 15, 15],
        )[0]
        building = resident.household.unit.building
        wish = Wish(
            community=community,
            compound=building.compound,
            building=building,
            resident=resident,
            text=text,
            category=category,
            status=status,
            posted_at=_at(posted),
        )
        if status != WishStatus.OPEN:
            wish.claimed_by = rng.choice(partners)
            wish.claimed_at = _at(posted + dt.timedelta(days=1))
        if status in {WishStatus.FULFILLED, WishStatus.CONFIRMED}:
            wish.fulfil_note = "已上门办好，居民表示感谢"
            wish.fulfilled_at = _at(posted + dt.timedelta(days=3))
        if status == WishStatus.CONFIRMED:
            wish.confirmed_at = _at(posted + dt.timedelta(days=4))
        wishes.append(wish)
    Wish.objects.bulk_create(wishes)

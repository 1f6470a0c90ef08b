"""Demo data: a year of visits (走访) in a community and its care register (关爱对象).

Each grid has its own rhythm: a household's visits follow a Poisson process whose mean gap
is the grid's ``(mean days between visits, share never visited)``, so coverage in the last 90
days is about (1 − never) × (1 − e^(−90/gap)): about 82 % in the best-run grid, 42 % in the
weakest. Visits happen on working days, 9:00–17:30, by the grid's worker.

The care register takes a few hundred residents from their tags: every resident living alone
(独居老人) aged 80 or more is visited weekly, the others by their need (seriously ill weekly,
disabled, very old and left-behind children fortnightly, the rest monthly). Each has the grid
worker as visitor (and the building leader of the demo's ``partner`` login in that building).
Care visits are made on time about nine times in ten; the last visit sets the next due day,
so some are overdue today, and those more than three days late are marked as reported to
staff, as ``gongzhi sweep`` would have done.

Matters that came in through grid visits (channel ``grid_visit``) get the visit that raised
them. Rows are built in memory and written with ``bulk_create``; random choices come from
``rng`` and dates from the demo's today, so a run is deterministic.
"""

import datetime as dt
import random

from django.utils import timezone

from gongzhi.accounts.models import Profile, UserRole
from gongzhi.core import bulkwrite
from gongzhi.core.demodates import TODAY
from gongzhi.matters.models import Channel, Matter
from gongzhi.people.models import Resident
from gongzhi.places.models import Household
from gongzhi.visits.models import CareReason, CareSubject, Visit, VisitKind
from gongzhi.visits.sweep import ESCALATE_AFTER_DAYS

DAYS = 365
# Per grid, in the order of their ids: mean days between visits, share of households never
# visited (rented flats nobody answers, owners living elsewhere).
GRID_RHYTHM = ((50, 0.02), (60, 0.03), (75, 0.05), (90, 0.08), (110, 0.12), (130, 0.15))
DEFAULT_RHYTHM = (80, 0.06)
ON_TIME = 0.9
# tag → (reason, days between visits, how many at most)
CARE_TAGS = (
    ("重病", CareReason.SERIOUSLY_ILL, 7, 40),
    ("残疾", CareReason.DISABLED, 14, 60),
    ("留守儿童", CareReason.LEFT_BEHIND, 14, 30),
    ("低保", CareReason.SUBSISTENCE, 30, 40),
    ("退役军人", CareReason.VETERAN, 30, 20),
    ("空巢老人", CareReason.EMPTY_NEST, 30, 40),
)
ROUTINE_FOUND = (
    "一切正常",
    "楼道通畅，消防通道无堵塞",
    "住户不在家，留了联系卡",
    "提醒住户关好门窗、注意防盗",
    "宣传反诈知识，住户已加入楼栋群",
    "核对了家庭人口信息",
    "住户反映楼下噪音，已记录",
    "了解住户近况，无特殊需求",
)
CHECK_FOUND = (
    "检查燃气安全，无隐患",
    "电动车未进楼，充电规范",
    "楼道灭火器在有效期内",
    "提醒住户不要在楼道堆放杂物",
)
CARE_FOUND = (
    "老人身体状况良好，精神不错",
    "帮老人测了血压，正常",
    "代老人取了药",
    "老人说最近腿疼，已联系家庭医生",
    "陪老人聊了一会儿，叮嘱注意保暖",
    "孩子学习生活正常，已与监护人沟通",
)


def _at(rng: random.Random, day: dt.date) -> dt.datetime:
    """A working-hours moment of ``day`` (weekends move to the Friday before)."""
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    minutes = rng.randrange(9 * 60, 17 * 60 + 30)
    moment = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
    return timezone.make_aware(moment)


def _workers(community) -> dict[int | None, object]:
    """Grid id → the grid worker's account (None → a community staff account)."""
    profiles = Profile.objects.filter(
        role__in=[UserRole.GRID_WORKER, UserRole.COMMUNITY_STAFF]
    ).select_related("user", "grid")
    workers: dict[int | None, object] = {}
    for profile in profiles.order_by("pk"):
        if profile.role == UserRole.GRID_WORKER and profile.grid.community_id == community.pk:
            workers.setdefault(profile.grid_id, profile.user)
        elif profile.role == UserRole.COMMUNITY_STAFF and profile.community_id == community.pk:
            workers.setdefault(None, profile.user)
    return workers


def _routine_visits(community, rng, workers, start: dt.date) -> list[tuple]:
    households = (
        Household.objects.filter(unit__building__compound__community=community)
        .order_by("pk")
        .values_list("pk", "unit__building__grid_id")
    )
    grid_ids = sorted({grid_id for _pk, grid_id in households if grid_id is not None})
    rhythm = {
        g: GRID_RHYTHM[i] if i < len(GRID_RHYTHM) else DEFAULT_RHYTHM
        for i, g in enumerate(grid_ids)
    }
    visits = []
    for household_id, grid_id in households:
        gap, never = rhythm.get(grid_id, DEFAULT_RHYTHM)
        visitor = workers.get(grid_id) or workers.get(None)
        if visitor is None or rng.random() < never:
            continue
        day = rng.expovariate(1 / gap)
        while day < DAYS:
            roll = rng.random()
            kind = (
                VisitKind.ROUTINE
                if roll < 0.7
                else VisitKind.CHECK
                if roll < 0.92
                else VisitKind.OTHER
            )
            found = rng.choice(CHECK_FOUND if kind == VisitKind.CHECK else ROUTINE_FOUND)
            at = _at(rng, start + dt.timedelta(days=int(day)))
            visits.append((household_id, visitor.pk, kind, found, at, None))
            day += rng.expovariate(1 / gap)
    return visits


def _care_register(community, rng) -> list[tuple]:
    """(resident id, household id, building id, grid id, reason, frequency) of the chosen,
    read from the tag rows alone: loading 20,000 residents would decrypt their personal data."""
    names = ["独居老人", *(tag for tag, *_rest in CARE_TAGS)]
    rows = (
        Resident.tags.through.objects.filter(
            tag__name__in=names, resident__household__unit__building__compound__community=community
        )
        .order_by("resident_id", "tag_id")
        .values_list(
            "resident_id",
            "tag__name",
            "resident__birth_date",
            "resident__household_id",
            "resident__household__unit__building_id",
            "resident__household__unit__building__grid_id",
        )
    )
    oldest = dt.date(TODAY.year - 80, TODAY.month, min(TODAY.day, 28))
    chosen: dict[int, tuple] = {}
    by_tag: dict[str, list[tuple]] = {}
    for resident_id, tag, born, *place in rows:
        if tag == "独居老人" and born <= oldest:
            chosen[resident_id] = (resident_id, *place, CareReason.ALONE, 7)
        by_tag.setdefault(tag, []).append((resident_id, *place))
    for tag, reason, frequency, most in CARE_TAGS:
        pool = [row for row in by_tag.get(tag, []) if row[0] not in chosen]
        for row in rng.sample(pool, min(most, len(pool))):
            chosen[row[0]] = (*row, reason, frequency)
    return [chosen[pk] for pk in sorted(chosen)]


def _insert_visits(rows: list[tuple]) -> None:
    """(household, visitor, kind, found, visited_at, matter) rows, appended as values
    (``core.bulkwrite``): forty thousand model instances through ``bulk_create`` cost ten
    seconds; ``COPY`` on PostgreSQL, one ``executemany`` on SQLite."""
    now = timezone.now()
    bulkwrite.append_values(
        Visit,
        (
            "household",
            "visitor",
            "kind",
            "found",
            "visited_at",
            "matter",
            "photo",
            "client_key",
            "created_at",
        ),
        [(*row, "", "", now) for row in rows],
    )


def seed_visits(community, *, rng: random.Random) -> None:
    if Visit.objects.filter(household__unit__building__compound__community=community).exists():
        return
    workers = _workers(community)
    start = TODAY - dt.timedelta(days=DAYS - 1)
    visits = _routine_visits(community, rng, workers, start)
    partner = (
        Profile.objects.filter(role=UserRole.PARTNER).select_related("user", "partner").first()
    )
    partner_building_id = partner.partner.building_id if partner else None

    subjects, visitor_rows = [], []
    for resident_id, household_id, building_id, grid_id, reason, frequency in _care_register(
        community, rng
    ):
        worker = workers.get(grid_id) or workers.get(None)
        registered = start + dt.timedelta(days=rng.randrange(0, 200))
        day, last = registered, None
        while True:
            late = 0 if rng.random() < ON_TIME else rng.randrange(1, frequency + 6)
            visit_day = day + dt.timedelta(days=late)
            if visit_day > TODAY - dt.timedelta(days=rng.randrange(0, 3)):
                break
            at = _at(rng, visit_day)
            visits.append(
                (household_id, worker.pk, VisitKind.CARE, rng.choice(CARE_FOUND), at, None)
            )
            last = visit_day
            day = visit_day + dt.timedelta(days=frequency)
        due = last + dt.timedelta(days=frequency) if last else registered
        subject = CareSubject(
            resident_id=resident_id,
            reason=reason,
            frequency_days=frequency,
            registered_on=registered,
            last_visited_on=last,
            next_due_on=due,
            escalated_due_on=due if due < TODAY - dt.timedelta(days=ESCALATE_AFTER_DAYS) else None,
        )
        subjects.append(subject)
        people = [worker]
        if partner is not None and building_id == partner_building_id:
            people.append(partner.user)
        visitor_rows.append(people)

    # The visit that raised each grid-visit matter, at the matter's place and time.
    matters = Matter.objects.filter(
        community=community, channel=Channel.GRID_VISIT, household__isnull=False
    ).select_related("household__unit__building")
    for matter in matters:
        worker = workers.get(matter.household.unit.building.grid_id) or workers.get(None)
        row = (matter.household_id, worker.pk, VisitKind.CHECK, matter.text, matter.created_at)
        visits.append((*row, matter.pk))
    _insert_visits(visits)
    CareSubject.objects.bulk_create(subjects, batch_size=500)
    through = CareSubject.visitors.through
    through.objects.bulk_create(
        [
            through(caresubject_id=subject.pk, user_id=user.pk)
            for subject, people in zip(subjects, visitor_rows, strict=True)
            for user in people
        ],
        batch_size=2000,
    )

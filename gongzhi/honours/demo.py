"""Demo honours of a community, built after its year of volunteer service and points.

* about half the adult residents verified by the community's staff;
* three rules — 月度服务之星 (monthly, hours), 季度积分之星 (quarterly, points earned) and
  年度志愿服务光荣榜 (yearly, hours) — with every finished period of the demo year built and
  published from the seeded service records and points;
* one completed “身边好人” election of the demo's year: two nominees per category, one rejected at
  screening, a week of voting by about a third of the verified residents, committee scores,
  publicity with one anonymous objection (answered, not upheld) and publication;
* a talent pool of about thirty partners, a few recommended upward as 先进个人.

Every step goes through the services; choices come from ``rng`` and dates from the demo's
fixed today, so a run is deterministic. It does nothing if the community has an election.
"""

import datetime as dt
import itertools
import random
import uuid

from django.utils import timezone

from gongzhi.accounts.models import Profile, UserRole
from gongzhi.core.demodates import TODAY, authored
from gongzhi.honours import services
from gongzhi.honours.models import (
    Ballot,
    Election,
    GoodPersonCategory,
    HonourRule,
    Metric,
    Participation,
    Period,
    RecommendLevel,
    RecommendOutcome,
    ResidentVerification,
    period_bounds,
)
from gongzhi.honours.services import HonoursError
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident

DEEDS = {
    GoodPersonCategory.HELPING: [
        "多年义务为楼栋独居老人买菜、送药，风雨无阻。",
        "自发组织邻里互助小组，帮助困难家庭解决日常难题。",
    ],
    GoodPersonCategory.BRAVERY: [
        "夜间发现楼道起火，第一时间扑救并疏散住户。",
        "在小区门口勇斗抢包歹徒，协助民警将其制服。",
    ],
    GoodPersonCategory.HONESTY: [
        "拾到装有现金和证件的钱包，多方寻找失主归还。",
        "经营小店二十年童叟无欺，坚持明码标价。",
    ],
    GoodPersonCategory.DEDICATION: [
        "担任楼栋长十余年，调解邻里纠纷上百起。",
        "退休后坚持在社区党群服务中心义务值班。",
    ],
    GoodPersonCategory.FILIAL: [
        "悉心照顾瘫痪在床的婆婆十二年，毫无怨言。",
        "带着患病的父亲求医问药，同时照料年幼的子女。",
    ],
}
FIELDS = ["邻里互助", "矛盾调解", "文体活动", "环境整治", "为老服务", "法律援助", "青少年教育"]
STORIES = [
    "热心公益，长期参与社区志愿服务，在居民中口碑很好。",
    "发挥专业特长，带动身边居民共同参与社区治理。",
    "多次牵头解决小区公共事务难题，是居民信得过的“带头人”。",
]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def _staff_user(community):
    profile = (
        Profile.objects.filter(role=UserRole.COMMUNITY_STAFF, community=community)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return profile.user if profile else None


def _residents(community):
    """The community's residents with their birth dates only: a demo step reads 21,000 of them,
    and their places and encrypted ID numbers and phones would be fetched and decrypted for
    nothing (a nominee loads the rest when the service reads it)."""
    return Resident.objects.filter(household__unit__building__compound__community=community).only(
        "pk", "birth_date"
    )


def seed_verifications(community, staff, *, rng: random.Random) -> int:
    """Half the adults verified by the committee over the year (rows written in bulk: the
    service's only work for a system actor is the same row, and 8,000 calls cost minutes)."""
    adults = [r for r in _residents(community).order_by("pk") if r.age(TODAY) >= 18]
    chosen = [r for r in adults if rng.random() < 0.5]
    ResidentVerification.objects.bulk_create(
        [
            ResidentVerification(
                resident=resident,
                method="committee" if n % 3 else "id_card",
                verified_by=staff,
                verified_at=_at(authored(2026, 3, 1) + dt.timedelta(days=n % 150)),
            )
            for n, resident in enumerate(chosen)
        ],
        batch_size=2000,
    )
    return len(chosen)


def _periods(period: str) -> list[dt.date]:
    """The first days of every period of ``period`` that ended within the demo year."""
    starts, day = [], TODAY - dt.timedelta(days=365)
    while day < TODAY:
        start, end = period_bounds(period, day)
        if end < TODAY and start not in starts:
            starts.append(start)
        day = end + dt.timedelta(days=1)
    return starts


def seed_rolls(community, staff) -> int:
    specs = [
        ("月度服务之星", Period.MONTH, Metric.HOURS, 10, 4),
        ("季度积分之星", Period.QUARTER, Metric.POINTS, 10, 10),
        ("年度志愿服务光荣榜", Period.YEAR, Metric.HOURS, 20, 20),
    ]
    published = 0
    for name, period, metric, top_n, minimum in specs:
        rule = HonourRule.objects.filter(community=community, name=name).first()
        if rule is None:
            rule = services.rule_create(
                community=community,
                name=name,
                period=period,
                metric=metric,
                top_n=top_n,
                minimum=minimum,
                actor=staff,
            )
        for start in _periods(period):
            end = period_bounds(period, start)[1]
            roll = services.roll_build(
                rule=rule, day=start, actor=staff, now=_at(end + dt.timedelta(days=2))
            )
            try:
                services.roll_publish(roll=roll, actor=staff, now=_at(end + dt.timedelta(days=3)))
                published += 1
            except HonoursError:
                services.roll_discard(roll=roll, actor=staff)
    return published


def seed_election(community, staff, *, rng: random.Random) -> Election:
    vote_from, vote_to = authored(2026, 9, 1), authored(2026, 9, 10)
    election = services.election_create(
        community=community,
        title=f"{vote_from.year}年度“身边好人”评选",
        max_choices=5,
        seats=5,
        vote_from=vote_from,
        vote_to=vote_to,
        vote_weight=40,
        publicity_days=7,
        actor=staff,
    )
    residents = list(_residents(community).order_by("pk"))
    nominees = rng.sample([r for r in residents if r.age(TODAY) >= 25], 10)
    candidates = []
    for n, category in enumerate(GoodPersonCategory):
        for k, deed in enumerate(DEEDS[category]):
            candidates.append(
                services.candidate_nominate(
                    election=election,
                    name="",
                    resident=nominees[2 * n + k],
                    category=category,
                    deeds=deed,
                    actor=staff,
                )
            )
    services.election_start_screening(election=election, actor=staff)
    rejected = candidates[rng.randrange(len(candidates))]
    for candidate in candidates:
        services.candidate_screen(
            candidate=candidate,
            accepted=candidate is not rejected,
            note="事迹材料不完整，建议明年再推荐" if candidate is rejected else "",
            actor=staff,
        )
    services.election_open_voting(election=election, actor=staff)
    on_ballot = [c for c in candidates if c is not rejected]
    # Some nominees are better known: they draw more votes.
    appeal = {c.pk: rng.uniform(0.5, 3.0) for c in on_ballot}
    verified_ids = set(
        ResidentVerification.objects.filter(
            resident__household__unit__building__compound__community=community
        ).values_list("resident_id", flat=True)
    )
    verified = [r for r in residents if r.pk in verified_ids]
    # The same draws as rng.choices(population, weights) per pick, without summing per pick.
    population, cum_weights = list(appeal), list(itertools.accumulate(appeal.values()))
    # Voters and their choices; ``ballot_cast`` is exercised by the tests, the demo writes the
    # roll and the shuffled ballot box in bulk (thousands of locked calls cost over a minute).
    roll, box = [], []
    for resident in verified:
        if rng.random() >= 0.34:
            continue
        size = rng.randint(1, election.max_choices)
        picks: set[int] = set()
        while len(picks) < size:
            picks.add(rng.choices(population, cum_weights=cum_weights)[0])
        day = vote_from + dt.timedelta(days=rng.randrange(10))
        roll.append(Participation(election=election, resident=resident, voted_on=day))
        box.append(
            Ballot(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                election=election,
                choices=sorted(picks),
            )
        )
    rng.shuffle(box)
    Participation.objects.bulk_create(roll, batch_size=2000)
    Ballot.objects.bulk_create(box, batch_size=2000)
    services.election_close_voting(election=election, actor=staff, today=authored(2026, 9, 11))
    for candidate in on_ballot:
        services.candidate_assess(
            candidate=candidate, committee_score=rng.randint(70, 96), actor=staff
        )
    services.election_start_publicity(election=election, actor=staff, today=authored(2026, 9, 14))
    election.refresh_from_db()
    top = election.candidates.filter(elected=True).order_by("rank").first()
    objection = services.objection_raise(
        election=election,
        candidate=top,
        text="听说该候选人的事迹有夸大成分，请核实。",
        anonymous=True,
        actor=staff,
        today=authored(2026, 9, 16),
    )
    services.objection_handle(
        objection=objection,
        upheld=False,
        outcome="经居委会走访邻居核实，事迹属实，异议不成立。",
        actor=staff,
    )
    services.election_publish(election=election, actor=staff, today=authored(2026, 9, 21))
    election.refresh_from_db()
    return election


def seed_talent(community, staff, *, rng: random.Random) -> int:
    partners = list(
        Partner.objects.active()
        .filter(community=community)
        .exclude(skills=None)
        .prefetch_related("skills")
        .distinct()
        .order_by("pk")
    )
    chosen = rng.sample(partners, min(30, len(partners)))
    profiles = []
    for partner in chosen:
        profiles.append(
            services.talent_add(
                community=community,
                partner=partner,
                field=rng.choice(FIELDS),
                skills="、".join(s.name for s in partner.skills.all()),
                story=rng.choice(STORIES),
                actor=staff,
                today=authored(2026, 1, 1) + dt.timedelta(days=rng.randrange(280)),
            )
        )
    levels = [RecommendLevel.SUBDISTRICT, RecommendLevel.DISTRICT, RecommendLevel.CITY]
    outcomes = [RecommendOutcome.AWARDED, RecommendOutcome.NOT_AWARDED, None]
    for n, profile in enumerate(rng.sample(profiles, min(5, len(profiles)))):
        recommendation = services.talent_recommend(
            profile=profile, level=levels[n % 3], year=TODAY.year - n % 2, actor=staff
        )
        outcome = outcomes[n % 3]
        if outcome is not None:
            services.recommendation_decide(
                recommendation=recommendation, outcome=outcome, actor=staff
            )
    return len(profiles)


def seed_honours(community, *, rng: random.Random) -> dict:
    """Verified residents, honour rolls, one published election and the talent pool."""
    if Election.objects.filter(community=community).exists():
        return {}
    staff = _staff_user(community)
    verified = seed_verifications(community, staff, rng=rng)
    rolls = seed_rolls(community, staff)
    election = seed_election(community, staff, rng=rng)
    talent = seed_talent(community, staff, rng=rng)
    return {"verified": verified, "rolls": rolls, "election": election.pk, "talent": talent}

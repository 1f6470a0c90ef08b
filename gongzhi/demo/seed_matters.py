"""A year of demo matters (事项) for one community, up to the day of seeding (``seed.TODAY``).

Volume follows the community's size (about 0.49 matters per household a year: about 3,500 for
X社区). Categories, tiers (≈ 60 % small, 30 % big, 10 % hard), channels (grid and building visits
first, then WeChat, phone, web, walk-in, meetings) and the seasons (greening in spring, culture
around the festivals, leaks in the plum-rain season) follow ``CATEGORY_WEIGHTS``,
``TIER_WEIGHTS``, ``CHANNEL_WEIGHTS`` and ``_season``. Places are drawn household by household,
so compounds get matters in proportion to their households. Texts come from the classifier's
training corpus (``matters/data/corpus.jsonl``; the held-out file is never read) with the
compound, building and unit names replaced by the matter's real ones.

Running every matter through the transition functions in ``matters/services.py`` takes several
minutes (each step locks, checks rights and notifies), far beyond the demo's 60 s budget, so
the rows are built in memory with exactly the fields and ``MatterEvent`` rows the services
write, then saved with ``core.bulkwrite`` (``save``). ``tests/test_demo.py`` replays every demo
history against the state machine of ``docs/matters.md``. Each matter's planned life is cut at
``NOW`` (midnight starting ``TODAY``): recent matters are still open in whatever state they had
reached. Late matters get the sweep's ``overdue`` (and ``escalate``) events one minute after
the deadline passed, as ``gongzhi sweep`` run every minute would have written.

Demo residents have no accounts, so their feedback events carry no actor (given through the
return visit, 回访); staff and grid workers act under their demo accounts. Notifications are not
generated for the past year.
"""

import datetime as dt
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts.models import Profile, UserRole
from gongzhi.core import bulkwrite
from gongzhi.core.demodates import authored
from gongzhi.matters import deadlines, routing
from gongzhi.matters.classifier import CORPUS
from gongzhi.matters.models import (
    WORKING_STATUSES,
    Category,
    Channel,
    ClassificationCorrection,
    Matter,
    MatterEvent,
    MatterOwner,
    MatterReporter,
    ResponsibilityRule,
    Satisfaction,
    Status,
    Tier,
)
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Community, Household

from .constants import MOBILE_PREFIXES, TODAY

SEED = 20251101
START = TODAY - dt.timedelta(days=365)
MATTERS_PER_HOUSEHOLD = 0.49

CATEGORY_WEIGHTS = {
    Category.FACILITIES: 17,
    Category.SANITATION: 14,
    Category.PARKING: 14,
    Category.DISPUTES: 8,
    Category.PROPERTY: 8,
    Category.SAFETY: 7,
    Category.GREENING: 6,
    Category.PETS: 6,
    Category.CARE: 6,
    Category.SERVICES: 5,
    Category.CULTURE: 4,
    Category.OTHER: 5,
}
TIER_WEIGHTS = {Tier.SMALL: 60, Tier.BIG: 30, Tier.HARD: 10}
CHANNEL_WEIGHTS = {
    Channel.GRID_VISIT: 30,
    Channel.BUILDING_VISIT: 22,
    Channel.ONLINE_WECHAT: 17,
    Channel.ONLINE_PHONE: 12,
    Channel.ONLINE_WEB: 8,
    Channel.WALK_IN: 7,
    Channel.MEETING: 4,
}
# Matters that concern one family are placed at the household, not only the building.
HOUSEHOLD_CATEGORIES = {Category.CARE, Category.DISPUTES, Category.SERVICES}
# Where staff refer matters that are not the community's to solve.
REFERRALS = ("12345市民服务热线", "汉阳区房管局", "琴台派出所", "区人社局", "供电公司95598")
# The festivals of the authored year (Spring Festival, Lantern, Dragon Boat, Mid-Autumn, National
# Day), moved with the demo's year.
FESTIVALS = tuple(
    authored(2026, month, day) for month, day in ((2, 17), (3, 3), (6, 19), (9, 25), (10, 1))
)
PLACE_NAMES = re.compile(r"锦绣园|滨江苑|渔家苑|渔湾新村|琴湖新村|鹦鹉花园|江堤还建小区|江南小区")
BUILDING_NAMES = re.compile(r"\d+栋")
UNIT_NAMES = re.compile(r"\d+单元")


def now_at_today() -> dt.datetime:
    """Midnight at the start of ``TODAY`` in the project's time zone."""
    return dt.datetime.combine(TODAY, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _season(category: str, day: dt.date) -> float:
    """How much more (or less) often the category comes up on this day."""
    month = day.month
    if category == Category.GREENING:
        return 2.6 if month in (3, 4, 5) else (0.5 if month in (12, 1, 2) else 1.0)
    if category == Category.CULTURE:
        near = min(abs((day - f).days) for f in FESTIVALS)
        return 3.5 if near <= 14 else 0.7
    if category == Category.FACILITIES:
        return 1.5 if month in (6, 7) else 1.0  # 梅雨: leaks and blocked drains
    if category == Category.SANITATION:
        return 1.4 if month in (7, 8) else 1.0
    if category == Category.CARE:
        return 1.5 if month in (12, 1, 2) else 1.0
    if category == Category.SAFETY:
        return 1.3 if month in (11, 12, 1) else 1.0  # heaters and e-bikes indoors
    return 1.0


@dataclass
class _Life:
    """One matter being built: the row, its events in order, and the side rows."""

    matter: Matter
    events: list[MatterEvent] = field(default_factory=list)
    owners: list[MatterOwner] = field(default_factory=list)
    reporters: list[MatterReporter] = field(default_factory=list)
    compound_id: int | None = None
    marked: set[str] = field(default_factory=set)
    merge_target: "_Life | None" = None
    correction: bool = False

    def event(self, at, actor, action, *, from_status="", note="", data=None):
        self.events.append(
            MatterEvent(
                matter=self.matter,
                at=at,
                actor_id=actor,
                action=action,
                from_status=from_status,
                to_status=self.matter.status,
                note=note,
                data=data or {},
            )
        )

    def status_at(self, when: dt.datetime) -> str:
        status = ""
        for event in self.events:
            if event.at > when:
                break
            status = event.to_status
        return status


class _Seeder:
    def __init__(self, community: Community, rng: random.Random):
        self.community = community
        self.rng = rng
        self.now = now_at_today()
        self._corpus()
        self._places()
        self._accounts()
        self.policies: dict = {}
        self.candidates: dict = {}

    # -- inputs from the database ------------------------------------------------------------

    def _corpus(self) -> None:
        self.texts: dict[tuple[str, str], list[tuple[str, str]]] = {}
        with open(CORPUS, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    key = (row["category"], row["tier"])
                    self.texts.setdefault(key, []).append((row["text"], row["channel"]))

    def _places(self) -> None:
        rows = list(
            Household.objects.filter(unit__building__compound__community=self.community)
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
        self.households = rows
        members: dict[int, list[tuple[int, str]]] = {}
        adults = Resident.objects.filter(
            household__unit__building__compound__community=self.community,
            birth_date__lte=TODAY - dt.timedelta(days=18 * 366),
        ).order_by("pk")
        for pk, household_id, name in adults.values_list("pk", "household_id", "name"):
            members.setdefault(household_id, []).append((pk, name))
        self.members = members

    def _accounts(self) -> None:
        profiles = Profile.objects.select_related("grid").filter(
            role__in=[UserRole.COMMUNITY_STAFF, UserRole.GRID_WORKER]
        )
        self.staff = [
            p.user_id
            for p in profiles
            if p.role == UserRole.COMMUNITY_STAFF and p.community_id == self.community.pk
        ]
        self.grid_workers = {
            p.grid_id: p.user_id
            for p in profiles
            if p.role == UserRole.GRID_WORKER and p.grid.community_id == self.community.pk
        }
        if not self.staff:
            superuser = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
            self.staff = [superuser.pk] if superuser else [None]

    # -- helpers -----------------------------------------------------------------------------

    def pick(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def deadlines_for(self, matter: Matter) -> tuple[dt.datetime, dt.datetime]:
        key = (matter.tier, matter.category)
        if key not in self.policies:
            self.policies[key] = deadlines.policy_for(
                community_id=self.community.pk, tier=matter.tier, category=matter.category
            )
        policy = self.policies[key]
        start = matter.created_at
        return (
            start + dt.timedelta(hours=policy.acknowledge_hours),
            deadlines.add_days(start, policy.resolve_days, working_days=policy.working_days),
        )

    def owners_for(self, matter: Matter, building_id, compound_id) -> list:
        """Owners ranked by ``routing.candidates``, for the matter's building and category.

        ``candidates`` costs about 0.2 s (it loads every partner of the compound with skills and
        roles), too slow to call 3,500 times. It is called once per compound and tier, for a
        compound-level probe of category "other"; the two parts of the score that depend on
        the building and the category are then added with routing's own constants: the
        building step (``PLACE_SCORE``) and the skill bonus (``CATEGORY_SKILLS``,
        ``SKILL_BONUS``, when the tier's rule prefers a matching skill).
        """
        key = (compound_id, matter.tier)
        if key not in self.candidates:
            probe = Matter(
                community=self.community,
                compound_id=compound_id,
                tier=matter.tier,
                category=Category.OTHER,
            )
            found = routing.candidates(probe, limit=100_000)
            at_building: dict[int, list] = {}
            for candidate in found:
                building = getattr(candidate.owner, "building_id", None)
                if building is not None:
                    at_building.setdefault(building, []).append(candidate)
            skilled = {
                category: [
                    c
                    for c in found
                    if c.kind == "partner"
                    and set(routing.CATEGORY_SKILLS.get(category, ()))
                    & self.partner_skills.get(c.owner.pk, set())
                ]
                for category in Category.values
            }
            order = {id(c): n for n, c in enumerate(found)}
            self.candidates[key] = (found, at_building, skilled, order)
        found, at_building, skilled, order = self.candidates[key]
        rule = self.rules.get(matter.tier)
        skills = set(routing.CATEGORY_SKILLS.get(matter.category, ()))
        step = routing.PLACE_SCORE["building"] - routing.PLACE_SCORE["compound"]

        def score(candidate) -> float:
            owner = candidate.owner
            value = candidate.score
            if building_id is not None and getattr(owner, "building_id", None) == building_id:
                value += step
            if rule is not None and rule.match_skill and candidate.kind == "partner":
                if skills & self.partner_skills.get(owner.pk, set()):
                    value += routing.SKILL_BONUS
            return value

        # Only these can reach the top: the best overall, those of the building, the skilled.
        pool = {id(c): c for c in found[:8]}
        pool.update((id(c), c) for c in at_building.get(building_id, ()))
        pool.update((id(c), c) for c in skilled[matter.category])
        ranked = sorted(pool.values(), key=lambda c: (-score(c), order[id(c)]))
        return [c.owner for c in ranked[:4]]

    def text_for(self, category, tier, channel, compound, building, unit) -> str:
        pool = self.texts[(category, tier)]
        same = [row for row in pool if row[1] == channel]
        text = self.rng.choice(same if same and self.rng.random() < 0.8 else pool)[0]
        text = PLACE_NAMES.sub(compound, text)
        if building:
            text = BUILDING_NAMES.sub(building, text)
        if unit:
            text = UNIT_NAMES.sub(unit, text)
        return text

    def created_times(self, count: int) -> list[tuple[dt.datetime, str]]:
        """(submitted at, category), in time order: daily volume × seasonal category mix."""
        days = [START + dt.timedelta(days=n) for n in range((TODAY - START).days)]
        day_weight = [0.8 if d.weekday() >= 5 else 1.0 for d in days]
        chosen = self.rng.choices(days, weights=day_weight, k=count)
        result = []
        tz = ZoneInfo(settings.TIME_ZONE)
        cats = list(CATEGORY_WEIGHTS)
        for day in sorted(chosen):
            weights = [CATEGORY_WEIGHTS[c] * _season(c, day) for c in cats]
            category = self.rng.choices(cats, weights=weights)[0]
            hour = self.rng.choices(
                range(7, 22), weights=[2, 6, 9, 9, 8, 5, 5, 7, 8, 8, 6, 5, 5, 4, 2]
            )
            minute = self.rng.randrange(60)
            at = dt.datetime.combine(day, dt.time(hour[0], minute), tzinfo=tz)
            result.append((at, category))
        return result

    # -- the life of one matter --------------------------------------------------------------

    def sweep_until(self, life: _Life, until: dt.datetime) -> None:
        """The events ``gongzhi sweep`` (run every minute) writes before ``until``.

        A deadline is reported in the first minute after it passed while the matter was in a
        state the sweep looks at: a reopened matter is reported a minute after it reopened.
        """
        m = life.matter
        minute = dt.timedelta(minutes=1)

        def first_minute(deadline: dt.datetime) -> dt.datetime | None:
            at = max(deadline, life.events[-1].at) + minute
            return at if at < until else None

        if m.status == Status.RECEIVED and "acknowledge" not in life.marked:
            at = first_minute(m.ack_due_at)
            if at:
                life.marked.add("acknowledge")
                m.overdue = True
                life.event(at, None, "overdue", data={"deadline": "acknowledge"})
        if m.status in WORKING_STATUSES and "resolve" not in life.marked:
            at = first_minute(m.due_at)
            if at:
                life.marked.add("resolve")
                m.overdue = True
                life.event(at, None, "overdue", data={"deadline": "resolve"})
        if m.status in WORKING_STATUSES and "escalate" not in life.marked:
            at = first_minute(m.due_at + (m.due_at - m.created_at))
            if at:
                life.marked.add("escalate")
                m.escalation_level += 1
                life.event(
                    at, None, "escalate", data={"reason": "overdue", "level": m.escalation_level}
                )

    def move(self, life: _Life, at, actor, action, to, *, note="", data=None) -> bool:
        """Apply one transition unless it lies after ``NOW``; False when the life stops here."""
        if at >= self.now:
            self.sweep_until(life, self.now)
            return False
        self.sweep_until(life, at)
        from_status = life.matter.status
        life.matter.status = to
        life.event(at, actor, action, from_status=from_status, note=note, data=data)
        return True

    def later(self, at: dt.datetime, low_hours: float, high_hours: float) -> dt.datetime:
        return at + dt.timedelta(hours=self.rng.uniform(low_hours, high_hours))

    def work_hours(self, tier: str) -> tuple[float, float]:
        return {Tier.SMALL: (2, 40), Tier.BIG: (24, 200), Tier.HARD: (72, 480)}[tier]

    def live(self, life: _Life, grid_id, building_id, compound_id, open_by_key) -> None:
        m = life.matter
        rng = self.rng
        staff = rng.choice(self.staff)
        acker = self.grid_workers.get(grid_id, staff) if rng.random() < 0.6 else staff
        t = m.created_at
        fate = rng.random()
        # Acknowledge: most within the deadline, some late.
        t = self.later(t, 0.3, 20) if rng.random() < 0.93 else self.later(t, 25, 70)
        if fate < 0.025:  # a duplicate of an open matter nearby: merged by staff
            target = self.merge_target(life, open_by_key, t)
            if target is not None:
                life.merge_target = target
                m.merged_into = target.matter
                if self.move(life, t, staff, "merge", Status.MERGED, data={"into": None}):
                    m.closed_at = t
                    target.event(t, staff, "absorb", data={"from": None})
                    target.events[-1].to_status = target.status_at(t)
                    target.events.sort(key=lambda e: e.at)
                else:
                    life.merge_target, m.merged_into = None, None
                return
        if fate < 0.045:
            action = "refer" if fate < 0.035 else "reject"
            reason = _demo_reason(action)
            to = Status.REFERRED if action == "refer" else Status.REJECTED
            if self.move(life, t, staff, action, to, note=reason):
                m.closing_reason, m.closed_at = reason, t
                if action == "refer":
                    m.referred_to = rng.choice(REFERRALS)
            return
        if not self.move(life, t, acker, "acknowledge", Status.ACKNOWLEDGED):
            return
        m.acknowledged_at = t
        if life.correction:
            life.event(
                t,
                staff,
                "classify",
                data={
                    "from": {"category": m.suggested_category, "tier": m.suggested_tier},
                    "to": {"category": m.category, "tier": m.tier},
                },
            )
            m.classification_confirmed = True
        t = self.later(t, 0.5, 12)
        if not self.assign(life, t, staff, building_id, compound_id, previous=False):
            return
        if rng.random() < 0.05:  # bounced to someone else
            t = self.later(t, 4, 48)
            if not self.assign(life, t, staff, building_id, compound_id, previous=True):
                return
        if fate > 0.98:  # the reporter withdraws while it is being worked on
            t = self.later(t, 2, 72)
            if self.move(life, t, staff, "withdraw", Status.WITHDRAWN, note="居民表示已自行解决"):
                m.closed_at, m.closing_reason = t, "居民表示已自行解决"
            return
        if m.tier != Tier.SMALL and rng.random() < 0.5:
            t = self.later(t, 12, 24 * 5)
            if not self.move(life, t, staff, "deliberate", Status.DELIBERATING):
                return
        t = self.later(t, 0.5, 12)
        if not self.move(life, t, staff, "start", Status.IN_PROGRESS):
            return
        for _round in range(3):
            t = self.later(t, *self.work_hours(m.tier))
            if not self.move(life, t, staff, "complete", Status.DONE):
                return
            m.done_at = t
            m.overdue = m.overdue or t > m.due_at
            if rng.random() < 0.2 and _round == 0:  # no answer: closed after the window
                t = self.later(t, 24 * 7 + 1, 24 * 10)
                if self.move(life, t, staff, "close_unrated", Status.CLOSED):
                    m.closed_at = t
                return
            t = self.later(t, 2, 24 * 5)
            satisfaction = self.pick(
                {Satisfaction.SATISFIED: 85, Satisfaction.BASIC: 10, Satisfaction.DISSATISFIED: 5}
                if _round == 0
                else {
                    Satisfaction.SATISFIED: 70,
                    Satisfaction.BASIC: 25,
                    Satisfaction.DISSATISFIED: 5,
                }
            )
            comment = _demo_comment(satisfaction, rng)
            data = {"satisfaction": satisfaction}
            if satisfaction != Satisfaction.DISSATISFIED:
                if self.move(life, t, None, "feedback", Status.CLOSED, note=comment, data=data):
                    m.satisfaction, m.feedback_comment, m.feedback_at = satisfaction, comment, t
                    m.closed_at = t
                return
            action = "reopen" if m.reopen_count == 0 else "escalate"
            if not self.move(life, t, None, action, Status.IN_PROGRESS, note=comment, data=data):
                return
            m.satisfaction, m.feedback_comment, m.feedback_at = satisfaction, comment, t
            if action == "reopen":
                m.reopen_count = 1
            else:
                m.escalation_level += 1
            m.done_at = None

    def assign(self, life, t, staff, building_id, compound_id, *, previous: bool) -> bool:
        m = life.matter
        candidates = self.owners_for(m, building_id, compound_id)
        if not candidates:
            return False  # nobody to give it to: stays acknowledged (the sweep will tell)
        if previous and len(candidates) < 2:
            return True
        current = {id(o.partner or o.team or o.organisation) for o in life.owners if o.active}
        choices = [c for c in candidates if id(c) not in current] if previous else candidates
        owner = self.rng.choice(choices[:3])
        rule = self.rules.get(m.tier)
        if not self.move(
            life, t, staff, "assign", Status.ASSIGNED, data={"owners": [str(owner)], "whistle": []}
        ):
            return False
        for old in life.owners:
            old.active = False
        kind = type(owner).__name__.lower()
        life.owners.append(MatterOwner(matter=m, assigned_at=t, **{kind: owner}))
        if previous:
            m.bounce_count += 1
        m.assigned_at = t
        m.working_mode = rule.working_mode if rule else m.working_mode
        return True

    def merge_target(self, life, open_by_key, at) -> _Life | None:
        m = life.matter
        for other in reversed(open_by_key.get((life.compound_id, m.category), [])[-8:]):
            status = other.status_at(at)
            if other.matter.created_at < m.created_at and status in WORKING_STATUSES:
                if other.merge_target is None:
                    return other
        return None

    # -- the year ----------------------------------------------------------------------------

    # The classifier's suggestions (``_suggest``); the district generator turns them off.
    suggest = True

    def build(self, count: int | None = None) -> list[_Life]:
        """A year of lives: ``count`` matters, or as many as the households call for."""
        if not self.households:
            return []
        self.partner_skills: dict[int, set[str]] = {}
        for pk, skill in Partner.skills.through.objects.filter(
            partner__community=self.community
        ).values_list("partner_id", "skill__name"):
            self.partner_skills.setdefault(pk, set()).add(skill)
        self.rules = {
            r.tier: r
            for r in ResponsibilityRule.objects.filter(community=self.community, category="")
        }
        if count is None:
            count = round(len(self.households) * MATTERS_PER_HOUSEHOLD)
        lives: list[tuple[_Life, int | None, int | None]] = []
        open_by_key: dict[tuple, list[_Life]] = {}
        rng = self.rng
        for created_at, category in self.created_times(count):
            household = rng.choice(self.households)
            hh_id, unit, building_id, building, grid_id, compound_id, compound = household
            tier = self.pick(TIER_WEIGHTS)
            channel = self.pick(CHANNEL_WEIGHTS)
            members = self.members.get(hh_id) or [(None, "")]
            reporter_id, reporter_name = rng.choice(members)
            contact = ""
            if channel == Channel.ONLINE_WECHAT and rng.random() < 0.3:
                reporter_id, reporter_name = None, ""
                contact = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            at_household = category in HOUSEHOLD_CATEGORIES
            at_compound = category in (Category.GREENING, Category.PROPERTY, Category.CULTURE)
            if at_compound and rng.random() < 0.6:
                building_id = building = unit = grid_id = None
            text = self.text_for(category, tier, channel, compound, building, unit)
            entered_by = self.staff[0]
            if channel in (Channel.GRID_VISIT, Channel.BUILDING_VISIT) and grid_id:
                entered_by = self.grid_workers.get(grid_id, entered_by)
            matter = Matter(
                text=text,
                channel=channel,
                reporter_id=reporter_id,
                reporter_name=reporter_name[:40],
                reporter_contact=contact,
                entered_by_id=entered_by,
                community=self.community,
                compound_id=compound_id,
                building_id=building_id,
                household_id=hh_id if at_household and building_id else None,
                category=category,
                tier=tier,
                suggested_category=category,
                suggested_tier=tier,
                priority="urgent"
                if category == Category.SAFETY and rng.random() < 0.3
                else "normal",
                created_at=created_at,
            )
            matter.ack_due_at, matter.due_at = self.deadlines_for(matter)
            life = _Life(matter=matter, compound_id=compound_id)
            life.reporters.append(
                MatterReporter(
                    matter=matter, resident_id=reporter_id, name=reporter_name or _("anonymous")
                )
            )
            life.event(created_at, entered_by, "submit", data={"channel": channel})
            lives.append((life, grid_id, building_id))
        if self.suggest:
            _suggest([life for life, _grid, _building in lives])
        for life, grid_id, building_id in lives:
            self.live(life, grid_id, building_id, life.compound_id, open_by_key)
            self.sweep_until(life, self.now)
            life.events.sort(key=lambda e: e.at)
            open_by_key.setdefault((life.compound_id, life.matter.category), []).append(life)
        return [life for life, _grid, _building in lives]


def _demo_reason(action: str) -> str:
    if action == "refer":
        return "不属于社区职责范围，已转交主管部门办理"
    return "经核实情况不属实，已向居民说明"


_COMMENTS = {
    Satisfaction.SATISFIED: (
        "处理很及时，谢谢社区！",
        "网格员很负责，点赞",
        "问题解决了，满意",
        "",
    ),
    Satisfaction.BASIC: ("解决了，就是等得有点久", "基本满意，希望以后多巡查", ""),
    Satisfaction.DISSATISFIED: ("问题还在，没有真正解决", "处理太慢了，还是老样子"),
}


def _demo_comment(satisfaction: str, rng: random.Random) -> str:
    return rng.choice(_COMMENTS[Satisfaction(satisfaction)])


def _suggest(lives: list[_Life]) -> None:
    """The classifier's suggestions, when the trained model ships; staff corrections differ."""
    from gongzhi.matters import classifier

    try:
        model = classifier.load()
    except (FileNotFoundError, RuntimeError):
        return
    for life, s in zip(lives, model.predict([x.matter.text for x in lives]), strict=True):
        m = life.matter
        m.suggested_category, m.suggested_tier = s.category, s.tier
        m.suggestion_confidence = s.confidence
        life.correction = (s.category, s.tier) != (m.category, m.tier)


@transaction.atomic
def seed_matters(community: Community, *, stdout=None) -> int:
    """Load a year of matters into ``community``; returns how many. Runs once per community."""
    if Matter.objects.filter(community=community).exists():
        return 0
    routing.install_default_rules(community)
    seeder = _Seeder(community, random.Random(f"{SEED}-{community.name}"))
    lives = seeder.build()
    if not lives:
        return 0
    save(lives)
    if stdout is not None:
        stdout.write(
            _("%(count)d matters of %(community)s loaded.")
            % {"count": len(lives), "community": community.name}
        )
    return len(lives)


def save(lives: list[_Life], write: Callable[[type, list, str], None] | None = None) -> None:
    """Write the matters of ``lives`` and their reporters, events, owners and corrections.

    The matters' keys are allocated first (``core.bulkwrite``), so merged matters and the
    linked rows can point at them; ``write(model, objs, name)`` writes objects whose keys are
    allocated (the district generator passes one that also times each table)."""
    if write is None:

        def write(model: type, objs: list, _name: str) -> None:
            bulkwrite.write(model, objs)

    bulkwrite.allocate(Matter, [x.matter for x in lives])
    for life in lives:
        if life.merge_target is not None:
            life.matter.merged_into = life.merge_target.matter
    # The merged ones last: their ``merged_into`` points at a matter written before them.
    write(Matter, [x.matter for x in lives if x.merge_target is None], "matter")
    write(Matter, [x.matter for x in lives if x.merge_target is not None], "matter")
    rows = linked_rows(lives)
    for model, name in (
        (MatterEvent, "events"),
        (MatterOwner, "owners"),
        (MatterReporter, "reporters"),
        (ClassificationCorrection, "corrections"),
    ):
        bulkwrite.allocate(model, rows[name])
        write(model, rows[name], f"matter {name}")


def linked_rows(lives: list[_Life]) -> dict[str, list]:
    """The reporters, events, owners and corrections of saved matters (every matter has a pk).

    Also used by ``gongzhi/demo/district.py``, which allocates the pks itself and writes with
    ``COPY``.
    """
    reporters = [r for x in lives for r in x.reporters]
    events = []
    for life in lives:
        for event in life.events:
            event.matter = life.matter
            if event.action == "merge":
                event.data = {"into": life.merge_target.matter.pk}
            events.append(event)
    for life in lives:
        if life.merge_target is None:
            continue
        target = life.merge_target
        for event in target.events:
            if event.action == "absorb" and event.data.get("from") is None:
                event.data = {"from": life.matter.pk}
                break
        for reporter in life.reporters:
            known = {r.resident_id for r in target.reporters if r.resident_id}
            if reporter.resident_id is None or reporter.resident_id not in known:
                row = MatterReporter(
                    matter=target.matter,
                    resident_id=reporter.resident_id,
                    name=reporter.name,
                    from_matter=life.matter,
                )
                target.reporters.append(row)
                reporters.append(row)
    for row in reporters:
        row.matter = row.matter  # the matter's pk is known now
    owners = [o for x in lives for o in x.owners]
    for owner in owners:
        owner.matter = owner.matter
    corrections = [
        ClassificationCorrection(
            matter=x.matter,
            text=x.matter.text,
            suggested_category=x.matter.suggested_category,
            suggested_tier=x.matter.suggested_tier,
            category=x.matter.category,
            tier=x.matter.tier,
            by_id=next(e.actor_id for e in x.events if e.action == "classify"),
        )
        for x in lives
        if any(e.action == "classify" for e in x.events)
    ]
    return {"reporters": reporters, "events": events, "owners": owners, "corrections": corrections}

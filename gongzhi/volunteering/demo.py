"""Demo data: a year of volunteer service in a community, with points consistent with it.

Every volunteer service team and red work team records its members' hours once a month (一月一记).
A small core of each team (about one member in twenty-five) serves 12–36 hours every month and
reaches star levels; the others come now and then for one to six hours. The points scheme
starts on ``POINTS_FROM``: earlier claims carry no points (hours and stars still count).
Records older than ten days are approved and their claims issued as points through
``points_earn_many`` (one journal per claim, as ``points_earn`` would write it, key
``svc:<record id>``), so the points issued equal the sum of the issued claims; the last ten
days' claims wait in review or publicity, and the last two days' records await confirmation.
Star levels follow from approved minutes (``star_awards_refresh``). Then the points shop is
stocked and people redeem (``gongzhi.points.demo``).

Rows are built in memory and written with ``bulk_create``; the random choices come from
``rng`` and the dates from the demo's fixed today, so a run is deterministic. It does nothing
when the community already has activities.
"""

import datetime as dt
import random

from django.utils import timezone

from gongzhi.accounts.models import Profile, UserRole
from gongzhi.core.demodates import TODAY, authored
from gongzhi.partners.models import Team, TeamMembership
from gongzhi.points.demo import seed_redemptions, seed_shop
from gongzhi.points.services import Grant, PointsError, points_earn_many
from gongzhi.volunteering.models import (
    Activity,
    ActivityKind,
    ClaimStatus,
    EarningRule,
    EarningUnit,
    PointsClaim,
    RecordStatus,
    ServiceRecord,
    StarAward,
)
from gongzhi.volunteering.services import star_awards_refresh, star_scheme_for

MONTHS = 12
# The points scheme (积分制) started half-way through the year: earlier service counts for
# hours and stars, but its claims carry no points.
POINTS_FROM = authored(2026, 5, 1)
PUBLICITY_DAYS = 7
# kind, unit, points, cap per activity (1 h = 1 分, a monthly record capped at 30)
RULES = (
    (ActivityKind.SERVICE, EarningUnit.PER_HOUR, 1, 30),
    (ActivityKind.TASK, EarningUnit.PER_TASK, 10, None),
    (ActivityKind.MEETING, EarningUnit.PER_TASK, 1, None),
    (ActivityKind.MEDIATION, EarningUnit.PER_TASK, 5, None),
    (ActivityKind.CO_BUILDING, EarningUnit.PER_HOUR, 2, 8),
)
TITLES = {
    "volunteer": ("{team}每周志愿服务", "{team}敬老助残服务", "{team}环境整治", "{team}文明劝导"),
    "red": ("{team}政策宣讲与走访", "{team}楼栋巡查", "{team}矛盾排查"),
}


def _at(day: dt.date, hour: int = 18) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _staff_user(community):
    profile = (
        Profile.objects.filter(role=UserRole.COMMUNITY_STAFF, community=community)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return profile.user if profile else None


def _rules(community) -> dict:
    return {
        kind: EarningRule.objects.create(
            community=community,
            kind=kind,
            unit=unit,
            points=points,
            cap_per_activity=cap,
            publicity_days=PUBLICITY_DAYS,
            valid_from=POINTS_FROM,
        )
        for kind, unit, points, cap in RULES
    }


def seed_volunteering(community, *, rng: random.Random) -> dict:
    """A year of activities, records, claims, points and stars; then the shop. Returns counts."""
    if Activity.objects.filter(community=community).exists():
        return {}
    rules = _rules(community)
    organiser = _staff_user(community)
    teams = list(Team.objects.filter(community=community).order_by("pk"))
    members: dict[int, list] = {team.pk: [] for team in teams}
    for membership in (
        TeamMembership.objects.filter(team__in=teams)
        .select_related("partner")
        .order_by("team_id", "partner_id")
    ):
        members[membership.team_id].append(membership.partner)

    activities, plans = [], []
    for team in teams:
        people = members[team.pk]
        if not people:
            continue
        core = {p.pk for p in rng.sample(people, max(2, len(people) // 25))}
        titles = TITLES["red" if team.kind == "red" else "volunteer"]
        for month in range(MONTHS):
            first = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            for _back in range(month):
                first = (first - dt.timedelta(days=1)).replace(day=1)
            activity = Activity(
                title=f"{first.month}月" + rng.choice(titles).format(team=team.name),
                kind=ActivityKind.SERVICE if month % 4 else ActivityKind.TASK,
                community=community,
                organiser_team=team,
                organised_by=organiser,
                date=first + dt.timedelta(days=rng.randrange(20, 27)),
            )
            # Hours of the month, recorded once a month by the team (一月一记).
            came = [
                (p, 60 * rng.randint(12, 36)) for p in people if p.pk in core and rng.random() < 0.9
            ] + [
                (p, 30 * rng.randint(2, 12))
                for p in people
                if p.pk not in core and rng.random() < 0.07
            ]
            activities.append(activity)
            plans.append(came)
    Activity.objects.bulk_create(activities, batch_size=1000)

    records, claims = [], []
    seen: set[tuple[int, int]] = set()
    for activity, came in zip(activities, plans, strict=True):
        age = (TODAY - activity.date).days
        for partner, minutes in came:
            person = ("r", partner.resident_id) if partner.resident_id else ("p", partner.pk)
            if (activity.pk, person) in seen:
                continue  # one person in two teams: recorded once
            seen.add((activity.pk, person))
            status = (
                RecordStatus.CLAIMED
                if age <= 2
                else RecordStatus.CONFIRMED
                if age <= 5
                else RecordStatus.PUBLICISED
                if age <= 10
                else RecordStatus.APPROVED
            )
            confirmed = _at(activity.date + dt.timedelta(days=1), 10) if age > 2 else None
            records.append(
                ServiceRecord(
                    activity=activity,
                    resident_id=partner.resident_id,
                    partner=partner,
                    minutes=minutes,
                    status=status,
                    recorded_by=organiser,
                    recorded_at=_at(activity.date, 20),
                    confirmed_by=organiser if confirmed else None,
                    confirmed_at=confirmed,
                )
            )
    ServiceRecord.objects.bulk_create(records, batch_size=2000)

    for record in records:
        if record.status == RecordStatus.CLAIMED:
            continue
        rule = rules[record.activity.kind] if record.activity.date >= POINTS_FROM else None
        confirmed = record.confirmed_at
        reviewed = confirmed + dt.timedelta(days=2)
        claim_status = {
            RecordStatus.CONFIRMED: ClaimStatus.APPLIED,
            RecordStatus.PUBLICISED: ClaimStatus.PUBLICISED,
            RecordStatus.APPROVED: ClaimStatus.ISSUED,
        }[record.status]
        claims.append(
            PointsClaim(
                record=record,
                rule=rule,
                points=rule.points_for(record.minutes) if rule else 0,
                status=claim_status,
                applied_at=confirmed,
                reviewed_by=organiser if claim_status != ClaimStatus.APPLIED else None,
                reviewed_at=reviewed if claim_status != ClaimStatus.APPLIED else None,
                publicity_until=reviewed + dt.timedelta(days=PUBLICITY_DAYS)
                if claim_status != ClaimStatus.APPLIED
                else None,
                issued_at=reviewed + dt.timedelta(days=PUBLICITY_DAYS)
                if claim_status == ClaimStatus.ISSUED
                else None,
            )
        )
    PointsClaim.objects.bulk_create(claims, batch_size=2000)

    issued = [claim for claim in claims if claim.status == ClaimStatus.ISSUED and claim.points]
    journals = points_earn_many(
        [
            Grant(
                holder=claim.record.partner,  # a partner's points go to their resident's account
                amount=claim.points,
                reason=f"志愿服务：{claim.record.activity.title}"
                f"（{claim.record.minutes / 60:.1f} 小时）",
                source=f"service:{claim.record.pk}",
                idempotency_key=f"svc:{claim.record.pk}",
                effective_at=claim.issued_at,
            )
            for claim in issued
        ]
    )
    for claim, journal in zip(issued, journals, strict=True):
        claim.journal = journal
    PointsClaim.objects.bulk_update(issued, ["journal"], batch_size=2000)

    star_scheme_for(community)
    star_awards_refresh(community=community, now=_at(TODAY - dt.timedelta(days=10)))
    star_awards_refresh(community=community, now=_at(TODAY, 9))

    seed_shop(community, rng=rng)
    try:
        shop = seed_redemptions(community, rng=rng)
    except PointsError as exc:
        # seed_redemptions may pick a limited item twice for one person (reported to the
        # points engineer); the orders made until then stay.
        if exc.code != "over_limit":
            raise
        shop = {}
    return {
        "activities": len(activities),
        "records": len(records),
        "points_issued": sum(claim.points for claim in issued),
        "stars": StarAward.objects.filter(scheme__community=community).count(),
        **shop,
    }

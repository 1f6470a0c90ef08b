"""Honour rolls (光荣榜): rules, the ranking of a period, drafts and published rolls."""

import datetime as dt

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.services import acting_user, locked, now_or
from gongzhi.honours import rules
from gongzhi.honours.models import HonourRoll, HonourRule, Metric, Period, RollStatus, period_bounds
from gongzhi.honours.services.common import HonoursError, checked_text, forbidden
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Community
from gongzhi.points.models import AccountKind, JournalKind, Posting
from gongzhi.volunteering.models import ServiceRecord


def roll_rows(rule: HonourRule, start: dt.date, end: dt.date) -> list[dict]:
    """The ranking of ``rule`` over [start, end]: the top N people whose measure reaches the
    minimum. Hours are approved service minutes of activities in the period; points are the
    points *earned* in the period (earning journals not reversed) — never balances, so
    spending points in the shop does not move anyone on the roll."""
    if rule.metric == Metric.HOURS:
        totals = (
            ServiceRecord.objects.approved()
            .filter(activity__community=rule.community_id, activity__date__range=(start, end))
            .values("resident_id", "partner_id")
            .annotate(total=Sum("minutes"))
        )
        people = [
            (
                ("resident", row["resident_id"])
                if row["resident_id"]
                else ("partner", row["partner_id"]),
                round(row["total"] / 60, 1),
            )
            for row in totals
        ]
    else:
        tz = timezone.get_current_timezone()
        since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
        until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        totals = (
            Posting.objects.filter(
                account__community=rule.community_id,
                account__kind=AccountKind.MAIN,
                amount__gt=0,
                journal__kind=JournalKind.EARN,
                journal__reversed_by__isnull=True,
                journal__effective_at__gte=since,
                journal__effective_at__lt=until,
            )
            .values("account__resident_id", "account__partner_id")
            .annotate(total=Sum("amount"))
        )
        people = [
            (
                ("resident", row["account__resident_id"])
                if row["account__resident_id"]
                else ("partner", row["account__partner_id"]),
                int(row["total"]),
            )
            for row in totals
        ]
    people = [(who, value) for who, value in people if value >= rule.minimum]
    names = {
        "resident": dict(
            Resident.objects.filter(
                pk__in=[pk for (kind, pk), _v in people if kind == "resident"]
            ).values_list("pk", "name")
        ),
        "partner": dict(
            Partner.objects.filter(
                pk__in=[pk for (kind, pk), _v in people if kind == "partner"]
            ).values_list("pk", "name")
        ),
    }
    people.sort(key=lambda item: (-item[1], names[item[0][0]][item[0][1]], item[0][1]))
    return [
        {"rank": rank, "name": names[kind][pk], "kind": kind, "id": pk, "value": value}
        for rank, ((kind, pk), value) in enumerate(people[: rule.top_n], start=1)
    ]


@transaction.atomic
def rule_create(
    *, community: Community, name: str, period: str, metric: str, top_n: int, minimum: int, actor
) -> HonourRule:
    if not rules.can_manage(actor, community.pk):
        raise forbidden()
    name = checked_text(name, what=_("the name"), limit=60)
    if period not in Period.values or metric not in Metric.values:
        raise HonoursError("invalid", _("Choose the period and what the roll measures."))
    if not isinstance(top_n, int) or not 1 <= top_n <= 200:
        raise HonoursError("invalid", _("A roll lists between 1 and 200 people."))
    if not isinstance(minimum, int) or minimum < 1:
        raise HonoursError("invalid", _("The minimum is a whole number of at least 1."))
    if HonourRule.objects.filter(community=community, name=name).exists():
        raise HonoursError("duplicate", _("A rule with this name already exists."))
    return HonourRule.objects.create(
        community=community, name=name, period=period, metric=metric, top_n=top_n, minimum=minimum
    )


@transaction.atomic
def roll_build(
    *, rule: HonourRule, day: dt.date, actor, now: dt.datetime | None = None
) -> HonourRoll:
    """A new draft roll of the period containing ``day``. Published rolls are never touched:
    building again makes another draft."""
    if not rules.can_manage(actor, rule.community_id):
        raise forbidden()
    if not isinstance(day, dt.date):
        raise HonoursError("invalid", _("Give a day of the period."))
    start, end = period_bounds(rule.period, day)
    now = now_or(now)
    if start > timezone.localdate(now):
        raise HonoursError("invalid", _("This period has not started yet."))
    return HonourRoll.objects.create(
        rule=rule,
        community_id=rule.community_id,
        period_start=start,
        period_end=end,
        metric=rule.metric,
        rows=roll_rows(rule, start, end),
        built_at=now,
        built_by=acting_user(actor),
    )


def _draft(roll: HonourRoll, actor, verb: str) -> HonourRoll:
    roll = locked(roll)
    if not rules.can_manage(actor, roll.community_id):
        raise forbidden()
    if roll.status != RollStatus.DRAFT:
        raise HonoursError(
            "frozen", _("A published roll is frozen: it cannot be %(verb)s.") % {"verb": verb}
        )
    return roll


@transaction.atomic
def roll_publish(*, roll: HonourRoll, actor, now: dt.datetime | None = None) -> HonourRoll:
    roll = _draft(roll, actor, _("published again"))
    if not roll.rows:
        raise HonoursError("empty", _("Nobody reached the minimum: there is nothing to publish."))
    if HonourRoll.objects.filter(
        rule=roll.rule_id, period_start=roll.period_start, status=RollStatus.PUBLISHED
    ).exists():
        raise HonoursError("duplicate", _("A roll of this period is already published."))
    roll.status = RollStatus.PUBLISHED
    roll.published_at = now_or(now)
    roll.published_by = acting_user(actor)
    roll.save(update_fields=["status", "published_at", "published_by"])
    return roll


@transaction.atomic
def roll_discard(*, roll: HonourRoll, actor) -> None:
    roll = _draft(roll, actor, _("deleted"))
    roll.delete()

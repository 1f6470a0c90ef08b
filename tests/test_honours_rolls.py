"""Honour rolls from approved hours and earned points; frozen once published; talent pool."""

import datetime as dt

import pytest

from gongzhi.honours import services
from gongzhi.honours.models import HonourRoll, Metric, Period, RollStatus, period_bounds
from gongzhi.honours.services import HonoursError
from gongzhi.points import services as points
from gongzhi.points.models import ShopItem
from gongzhi.volunteering.models import RecordStatus
from tests.helpers import at, serve

OCT = dt.date(2026, 10, 15)


def rule(world, metric, period=Period.MONTH, **fields):
    return services.rule_create(
        community=world.a,
        name=f"{metric}-{period}",
        period=period,
        metric=metric,
        top_n=fields.get("top_n", 10),
        minimum=fields.get("minimum", 1),
        actor=world.users.staff_a,
    )


def test_period_bounds():
    assert period_bounds(Period.MONTH, dt.date(2026, 2, 14)) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )
    assert period_bounds(Period.QUARTER, dt.date(2026, 11, 1)) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    assert period_bounds(Period.YEAR, dt.date(2026, 6, 1)) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )


def test_hours_roll_counts_approved_minutes_in_the_period_only(world):
    serve(world, OCT, 180, resident=world.res_a)
    serve(world, dt.date(2026, 10, 3), 60, resident=world.res_a)
    serve(world, OCT, 120, resident=world.res_y1b)
    serve(world, OCT, 600, resident=world.res_j1, status=RecordStatus.CONFIRMED)
    serve(world, dt.date(2026, 9, 30), 600, resident=world.res_y1b)
    serve(world, OCT, 90, partner=world.p_team)
    roll = services.roll_build(rule=rule(world, Metric.HOURS), day=OCT, actor=world.users.staff_a)
    assert roll.status == RollStatus.DRAFT
    assert (roll.period_start, roll.period_end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert [(r["name"], r["value"]) for r in roll.rows] == [
        ("王建国", 4.0),
        ("赵敏", 2.0),
        ("陈下沉", 1.5),
    ]
    assert [r["rank"] for r in roll.rows] == [1, 2, 3]


def test_top_n_and_minimum(world):
    serve(world, OCT, 300, resident=world.res_a)
    serve(world, OCT, 240, resident=world.res_y1b)
    serve(world, OCT, 60, resident=world.res_j1)
    roll = services.roll_build(
        rule=rule(world, Metric.HOURS, top_n=1, minimum=2), day=OCT, actor=world.users.staff_a
    )
    assert [r["name"] for r in roll.rows] == ["王建国"]


def test_points_roll_uses_earnings_not_balances(world):
    points.points_earn(
        holder=world.res_a,
        amount=50,
        reason="服务",
        source="t",
        idempotency_key="e1",
        effective_at=at(OCT),
    )
    points.points_earn(
        holder=world.res_y1b,
        amount=40,
        reason="服务",
        source="t",
        idempotency_key="e2",
        effective_at=at(OCT),
    )
    reversed_ = points.points_earn(
        holder=world.res_y1b,
        amount=30,
        reason="误记",
        source="t",
        idempotency_key="e3",
        effective_at=at(OCT),
    )
    points.points_reverse(journal=reversed_, reason="误记", actor=world.users.staff_a)
    points.points_earn(
        holder=world.res_j1,
        amount=99,
        reason="上月",
        source="t",
        idempotency_key="e4",
        effective_at=at(dt.date(2026, 9, 1)),
    )
    points_rule = rule(world, Metric.POINTS)
    before = services.roll_build(rule=points_rule, day=OCT, actor=world.users.staff_a)
    # 王建国 spends most of his points in the shop: the roll does not move.
    item = ShopItem.objects.create(community=world.a, name="洗衣液", price=45, stock=5)
    points.redemption_order(
        holder=world.res_a, item=item, quantity=1, actor=world.users.staff_a, idempotency_key="o1"
    )
    assert points.balance_of(world.res_a) == 5
    after = services.roll_build(rule=points_rule, day=OCT, actor=world.users.staff_a)
    expected = [("王建国", 50), ("赵敏", 40)]
    assert [(r["name"], r["value"]) for r in before.rows] == expected
    assert [(r["name"], r["value"]) for r in after.rows] == expected


def test_published_roll_is_frozen_and_rebuild_makes_a_new_draft(world):
    serve(world, OCT, 180, resident=world.res_a)
    hours_rule = rule(world, Metric.HOURS)
    roll = services.roll_build(rule=hours_rule, day=OCT, actor=world.users.staff_a)
    services.roll_publish(roll=roll, actor=world.users.staff_a)
    roll.refresh_from_db()
    assert roll.status == RollStatus.PUBLISHED and roll.published_at is not None
    frozen_rows = roll.rows

    serve(world, OCT, 600, resident=world.res_y1b)
    for service in (services.roll_publish, services.roll_discard):
        with pytest.raises(HonoursError) as exc:
            service(roll=roll, actor=world.users.staff_a)
        assert exc.value.code == "frozen"
    roll.refresh_from_db()
    assert roll.rows == frozen_rows

    draft = services.roll_build(rule=hours_rule, day=OCT, actor=world.users.staff_a)
    assert draft.pk != roll.pk and draft.rows[0]["name"] == "赵敏"
    with pytest.raises(HonoursError) as exc:
        services.roll_publish(roll=draft, actor=world.users.staff_a)
    assert exc.value.code == "duplicate"
    services.roll_discard(roll=draft, actor=world.users.staff_a)
    assert list(HonourRoll.objects.all()) == [roll]


def test_empty_roll_is_not_published_and_bad_input_is_refused(world):
    hours_rule = rule(world, Metric.HOURS)
    roll = services.roll_build(rule=hours_rule, day=OCT, actor=world.users.staff_a)
    with pytest.raises(HonoursError) as exc:
        services.roll_publish(roll=roll, actor=world.users.staff_a)
    assert exc.value.code == "empty"
    with pytest.raises(HonoursError):
        services.roll_build(rule=hours_rule, day=None, actor=world.users.staff_a)
    with pytest.raises(HonoursError):
        services.roll_build(rule=hours_rule, day=dt.date(2099, 1, 1), actor=world.users.staff_a)
    with pytest.raises(HonoursError) as exc:
        services.roll_build(rule=hours_rule, day=OCT, actor=world.users.staff_b)
    assert exc.value.code == "forbidden"
    for bad in ({"top_n": 0}, {"minimum": 0}, {"period": "week"}, {"name": " "}):
        fields = {
            "name": "x",
            "period": "month",
            "metric": "hours",
            "top_n": 10,
            "minimum": 1,
            **bad,
        }
        with pytest.raises(HonoursError):
            services.rule_create(community=world.a, actor=world.users.staff_a, **fields)
    assert HonourRoll.objects.count() == 1


def test_talent_pool_and_recommendations(world):
    staff = world.users.staff_a
    profile = services.talent_add(
        community=world.a,
        partner=world.p_neighbour,
        field="邻里互助",
        story="十年如一日",
        actor=staff,
    )
    assert profile.resident == world.res_a and profile.name == "王建国"
    recommendation = services.talent_recommend(
        profile=profile, level="district", year=2026, actor=staff
    )
    with pytest.raises(HonoursError) as exc:
        services.talent_recommend(profile=profile, level="district", year=2026, actor=staff)
    assert exc.value.code == "duplicate"
    for bad in ({"level": "nation", "year": 2026}, {"level": "city", "year": 1999}):
        with pytest.raises(HonoursError):
            services.talent_recommend(profile=profile, actor=staff, **bad)
    services.recommendation_decide(recommendation=recommendation, outcome="awarded", actor=staff)
    with pytest.raises(HonoursError):
        services.recommendation_decide(
            recommendation=recommendation, outcome="not_awarded", actor=staff
        )
    with pytest.raises(HonoursError) as exc:
        services.talent_add(community=world.a, partner=world.p_b, field="x", actor=staff)
    assert exc.value.code == "invalid"
    with pytest.raises(HonoursError) as exc:
        services.talent_add(community=world.a, field="x", actor=staff)
    assert exc.value.code == "invalid"
    with pytest.raises(HonoursError) as exc:
        services.talent_add(
            community=world.a, resident=world.res_a, field="x", actor=world.users.staff_b
        )
    assert exc.value.code == "forbidden"

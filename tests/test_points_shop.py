"""The points shop: two-phase orders, limits, stock, sweep, and races on PostgreSQL."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from gongzhi.matters.sweep import sweep
from gongzhi.points.models import (
    Account,
    AccountKind,
    Journal,
    Redemption,
    RedemptionStatus,
    ShopItem,
)
from gongzhi.points.services import (
    PointsError,
    balance_of,
    redemption_cancel,
    redemption_fulfil,
)
from tests.helpers import assert_ledger_consistent, give, item, order


def test_order_holds_points_and_stock_then_pickup_spends_them(world):
    give(world.res_a, 50)
    towel = item(world.a, price=10, stock=5)
    redemption = order(world.res_a, towel, quantity=2, actor=world.users.resident_a)
    towel.refresh_from_db()
    assert redemption.status == RedemptionStatus.HELD
    assert redemption.points == 20
    assert balance_of(world.res_a) == 30
    assert towel.stock == 3
    assert Account.objects.get(community=world.a, kind=AccountKind.HOLD).balance == 20
    redemption_fulfil(redemption=redemption, actor=world.users.staff_a)
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.FULFILLED
    assert Account.objects.get(community=world.a, kind=AccountKind.HOLD).balance == 0
    assert Account.objects.get(community=world.a, kind=AccountKind.STORE).balance == 20
    assert balance_of(world.res_a) == 30
    with pytest.raises(PointsError) as exc:
        redemption_cancel(redemption=redemption, actor=world.users.staff_a)
    assert exc.value.code == "bad_state"
    assert_ledger_consistent()


def test_cancel_returns_points_and_stock_once(world):
    give(world.res_a, 50)
    towel = item(world.a, price=10, stock=1)
    redemption = order(world.res_a, towel)
    redemption_cancel(redemption=redemption, actor=world.users.resident_a, reason="不要了")
    towel.refresh_from_db()
    assert towel.stock == 1
    assert balance_of(world.res_a) == 50
    with pytest.raises(PointsError) as exc:
        redemption_cancel(redemption=redemption, actor=world.users.resident_a)
    assert exc.value.code == "bad_state"
    with pytest.raises(PointsError):
        redemption_fulfil(redemption=redemption, actor=world.users.staff_a)
    towel.refresh_from_db()
    assert towel.stock == 1
    assert_ledger_consistent()


def test_sweep_releases_orders_not_picked_up_exactly_once(world):
    give(world.res_a, 50)
    towel = item(world.a, price=10, stock=2, pickup_days=3)
    redemption = order(world.res_a, towel)
    later = timezone.now() + dt.timedelta(days=4)
    counts = sweep(later)
    assert counts["redemptions_released"] == 1
    assert sweep(later)["redemptions_released"] == 0
    redemption.refresh_from_db()
    towel.refresh_from_db()
    assert redemption.status == RedemptionStatus.EXPIRED
    assert towel.stock == 2
    assert balance_of(world.res_a) == 50
    assert_ledger_consistent()


def test_retried_order_key_makes_one_order(world):
    give(world.res_a, 50)
    towel = item(world.a)
    first = order(world.res_a, towel, key="same")
    again = order(world.res_a, towel, key="same")
    assert again.pk == first.pk
    assert Redemption.objects.count() == 1
    assert balance_of(world.res_a) == 40
    with pytest.raises(PointsError) as exc:
        order(world.res_a, towel, key="same", quantity=2)
    assert exc.value.code == "idempotency_conflict"


def _refused(world, code, shop_item, quantity=1, actor=None, holder=None):
    journals = Journal.objects.count()
    stock = ShopItem.objects.get(pk=shop_item.pk).stock
    with pytest.raises(PointsError) as exc:
        order(holder or world.res_a, shop_item, key="bad", quantity=quantity, actor=actor)
    assert exc.value.code == code
    assert exc.value.message
    assert Journal.objects.count() == journals
    assert ShopItem.objects.get(pk=shop_item.pk).stock == stock
    assert not Redemption.objects.filter(idempotency_key="bad").exists()


def test_bad_orders_are_refused_and_change_nothing(world):
    give(world.res_a, 25)
    towel = item(world.a, price=10, stock=5, per_person_limit=2)
    _refused(world, "insufficient", item(world.a, name="体检券", price=30, stock=5), quantity=1)
    _refused(world, "over_limit", towel, quantity=3)
    _refused(world, "invalid_quantity", towel, quantity=0)
    _refused(world, "invalid_quantity", towel, quantity=-1)
    _refused(world, "inactive_item", item(world.a, name="旧货", active=False))
    _refused(world, "out_of_stock", item(world.a, name="理发券", stock=0))
    _refused(world, "other_community", item(world.b, name="江南毛巾"))
    _refused(world, "forbidden", towel, actor=world.users.staff_b)
    _refused(world, "forbidden", towel, actor=world.users.partner_a, holder=world.res_y2)
    order(world.res_a, towel, quantity=2, key="ok")
    _refused(world, "over_limit", towel, quantity=1)
    assert balance_of(world.res_a) == 5


def test_cancelled_orders_do_not_count_against_the_limit(world):
    give(world.res_a, 100)
    towel = item(world.a, per_person_limit=1)
    redemption_cancel(redemption=order(world.res_a, towel, key="a"), actor=None)
    order(world.res_a, towel, key="b")
    assert Redemption.objects.filter(status=RedemptionStatus.HELD).count() == 1


def test_only_staff_of_the_community_fulfil(world):
    give(world.res_a, 100)
    redemption = order(world.res_a, item(world.a))
    for user in (world.users.resident_a, world.users.staff_b, world.users.grid_a1):
        with pytest.raises(PointsError) as exc:
            redemption_fulfil(redemption=redemption, actor=user)
        assert exc.value.code == "forbidden"
    assert Redemption.objects.get().status == RedemptionStatus.HELD


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"
)


def _race(threads: int, work) -> list:
    """Run ``work(i)`` in ``threads`` threads at once, each with its own connection."""
    barrier = threading.Barrier(threads)
    results: list = [None] * threads

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except PointsError as exc:
            results[i] = exc.code
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_against_one_balance_let_the_affordable_number_through(world):
    give(world.res_a, 75)
    towel = item(world.a, price=10, stock=100)
    results = _race(24, lambda i: order(world.res_a, towel, key=f"race-{i}").pk)
    assert sum(isinstance(r, int) for r in results) == 7
    assert sorted(r for r in results if isinstance(r, str)) == ["insufficient"] * 17
    assert balance_of(world.res_a) == 5
    assert ShopItem.objects.get(pk=towel.pk).stock == 93
    assert_ledger_consistent()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_for_the_last_item_sell_it_once(world):
    buyers = [world.res_a, world.res_a_spouse, world.res_y1b, world.res_y2, world.res_j1]
    for n, buyer in enumerate(buyers):
        give(buyer, 1000, key=f"seed-{n}")
    last = item(world.a, name="油米", price=10, stock=3)
    results = _race(25, lambda i: order(buyers[i % 5], last, key=f"last-{i}").pk)
    assert sum(isinstance(r, int) for r in results) == 3
    assert {r for r in results if isinstance(r, str)} == {"out_of_stock"}
    assert ShopItem.objects.get(pk=last.pk).stock == 0
    assert_ledger_consistent()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_key_make_one_order_and_one_journal(world):
    give(world.res_a, 100)
    towel = item(world.a, price=10, stock=50)
    results = _race(20, lambda i: order(world.res_a, towel, key="retry").pk)
    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert Redemption.objects.count() == 1
    assert balance_of(world.res_a) == 90
    earned = _race(20, lambda i: give(world.res_y2, 7, key="svc:42").pk)
    assert len(set(earned)) == 1
    assert balance_of(world.res_y2) == 7
    assert_ledger_consistent()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_respect_the_per_person_limit(world):
    give(world.res_a, 1000)
    towel = item(world.a, price=1, stock=100, per_person_limit=3)
    results = _race(20, lambda i: order(world.res_a, towel, key=f"lim-{i}").pk)
    assert sum(isinstance(r, int) for r in results) == 3
    assert {r for r in results if isinstance(r, str)} == {"over_limit"}


def test_demo_shop_and_redemptions_keep_the_ledger_consistent(world):
    import random

    from gongzhi.points.checks import ledger_check
    from gongzhi.points.demo import seed_redemptions, seed_shop

    rng = random.Random(7)
    items = seed_shop(world.a, rng=rng)
    assert len(items) >= 8 and all(i.stock > 0 for i in items)
    for n, person in enumerate([world.res_a, world.res_y2, world.res_j1, world.p_team]):
        give(person, 150, key=f"demo-seed-{n}")
    counts = seed_redemptions(world.a, rng=rng, share=1.0)
    assert sum(counts.values()) == Redemption.objects.count() > 0
    assert ledger_check()["ok"]
    assert not Account.objects.filter(kind="main", balance__lt=0).exists()


def test_overview_reports_points_issued_and_redeemed(world):
    from gongzhi.core.overview import SECTIONS
    from gongzhi.core.places import Place
    from gongzhi.points.selectors import points_section
    from gongzhi.points.services import points_reverse

    # Registered as an overview section (``gongzhi overview --json``); called alone here so
    # that other apps' sections do not decide this test.
    assert points_section in SECTIONS

    give(world.res_a, 50, key="o-1")
    wrong = give(world.res_a, 9, key="o-2")
    points_reverse(journal=wrong, reason="记录有误", actor=None)
    give(world.res_b, 40, key="o-3")
    towel = item(world.a, price=10, stock=5)
    redemption_fulfil(redemption=order(world.res_a, towel, key="x1", quantity=2), actor=None)
    order(world.res_a, towel, key="x2")
    figures = points_section(Place("community", world.a.pk))
    assert figures["points_issued"] == 50
    assert figures["points_redeemed"] == 20
    assert figures["points_held"] == 10
    assert figures["shop"]["redemptions"]["held"] == 1
    assert points_section(None)["points_issued"] == 90

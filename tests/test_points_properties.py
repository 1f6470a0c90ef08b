"""Random sequences of earn / order / pickup / cancel / expire / reverse keep every invariant."""

import datetime as dt

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongzhi.points.checks import ledger_check
from gongzhi.points.models import (
    COUNTED_STATUSES,
    Account,
    Journal,
    JournalKind,
    Redemption,
    RedemptionStatus,
    ShopItem,
)
from gongzhi.points.services import (
    PointsError,
    points_earn,
    points_expire,
    points_reverse,
    redemption_cancel,
    redemption_fulfil,
    redemption_order,
    redemptions_expire,
)

STOCK = {"毛巾": 4, "洗衣液": 2, "体检券": 1}
PRICES = {"毛巾": 5, "洗衣液": 12, "体检券": 40}

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("earn"),
            st.integers(0, 2),
            st.integers(1, 60),
            st.one_of(st.none(), st.integers(1, 30)),
        ),
        st.tuples(st.just("order"), st.integers(0, 2), st.integers(0, 2), st.integers(1, 3)),
        st.tuples(st.just("fulfil"), st.integers(0, 20)),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
        st.tuples(st.just("reverse"), st.integers(0, 20)),
        st.tuples(st.just("wait"), st.integers(1, 20)),
    ),
    max_size=30,
)


def _check_invariants(items, refused_hold_changes):
    report = ledger_check()
    assert report["ok"], report
    assert not Account.objects.filter(kind="main", balance__lt=0).exists()
    for shop_item in items:
        shop_item.refresh_from_db()
        assert shop_item.stock >= 0
        taken = (
            Redemption.objects.filter(item=shop_item, status__in=COUNTED_STATUSES).aggregate(
                n=Sum("quantity")
            )["n"]
            or 0
        )
        assert shop_item.stock + taken == STOCK[shop_item.name]
    for redemption in Redemption.objects.all():
        settles = Journal.objects.filter(source=f"redemption:{redemption.idempotency_key}").exclude(
            pk=redemption.hold_journal_id
        )
        assert settles.count() == (0 if redemption.status == RedemptionStatus.HELD else 1)
    assert not refused_hold_changes


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=ops)
def test_random_sequences_keep_the_ledger_invariants(world, steps):
    with transaction.atomic():
        people = [world.res_a, world.res_y2, world.p_team]
        items = [
            ShopItem.objects.create(
                community=world.a, name=name, price=PRICES[name], stock=stock, pickup_days=5
            )
            for name, stock in STOCK.items()
        ]
        now = timezone.now()
        refused: list = []
        for n, step in enumerate(steps):
            before = (Journal.objects.count(), list(ShopItem.objects.values_list("stock")))
            try:
                if step[0] == "earn":
                    _kind, who, amount, days = step
                    points_earn(
                        holder=people[who],
                        amount=amount,
                        reason="服务",
                        source="prop",
                        idempotency_key=f"earn-{n}",
                        effective_at=now,
                        expires_at=now + dt.timedelta(days=days) if days else None,
                    )
                elif step[0] == "order":
                    _kind, who, which, quantity = step
                    redemption_order(
                        holder=people[who],
                        item=items[which],
                        quantity=quantity,
                        actor=None,
                        idempotency_key=f"order-{n}",
                    )
                elif step[0] in ("fulfil", "cancel"):
                    orders = list(Redemption.objects.order_by("pk"))
                    if orders:
                        target = orders[step[1] % len(orders)]
                        if step[0] == "fulfil":
                            redemption_fulfil(redemption=target, actor=None)
                        else:
                            redemption_cancel(redemption=target, actor=None)
                elif step[0] == "reverse":
                    earnings = list(Journal.objects.filter(kind=JournalKind.EARN).order_by("pk"))
                    if earnings:
                        target = earnings[step[1] % len(earnings)]
                        points_reverse(journal=target, reason="更正", actor=None)
                else:
                    now += dt.timedelta(days=step[1])
                    redemptions_expire(now=now)
                    points_expire(now=now)
            except PointsError:
                # A refused step changes nothing.
                after = (Journal.objects.count(), list(ShopItem.objects.values_list("stock")))
                if after != before:
                    refused.append(step)
            _check_invariants(items, refused)
        transaction.set_rollback(True)

"""``points_earn_many``: many earnings in a few statements, the same rows as ``points_earn``
called once per grant, all or nothing."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.points.models import Account, Journal, PointLot, Posting
from gongzhi.points.services import (
    Grant,
    PointsError,
    account_for,
    accounts_for,
    balance_of,
    points_earn,
    points_earn_many,
)
from tests.helpers import assert_ledger_consistent

pytestmark = pytest.mark.django_db

WHEN = timezone.make_aware(dt.datetime(2026, 6, 1, 10))


def _grants(world) -> list[Grant]:
    """Residents and partners of two communities; a partner and their resident share an
    account; one key asked twice for the same thing; one grant with an expiry."""
    return [
        Grant(world.p_neighbour, 12, "志愿服务", "service:1", "svc:1", WHEN),
        Grant(world.res_a, 3, "议事", "meeting:1", "m:1", WHEN + dt.timedelta(hours=1)),
        Grant(world.p_team, 30, "值守", "service:2", "svc:2", WHEN, WHEN + dt.timedelta(days=90)),
        Grant(world.p_b, 7, "志愿服务", "service:3", "svc:3"),
        Grant(world.p_neighbour, 12, "志愿服务", "service:1", "svc:1", WHEN),  # a retry
        Grant(world.res_y2, 1, "议事", "meeting:2", "m:2", WHEN),
    ]


def _ledger() -> dict:
    """Every ledger row, by what it says rather than its ids (the grant without a time is
    stamped with the clock: only that it has a time is compared). Request digests name the
    account's id, so they are compared by retrying (``test_one_by_one_retries_…``)."""
    now = "now"
    owner = {
        a.pk: (a.kind, a.community_id, a.resident_id, a.partner_id) for a in Account.objects.all()
    }
    return {
        "accounts": sorted(
            (
                (owner[a.pk], a.balance, a.version, a.compound_id, a.building_id, a.household_id)
                for a in Account.objects.all()
            ),
            key=repr,
        ),
        "journals": [
            (
                j.kind,
                j.community_id,
                j.idempotency_key,
                j.source,
                j.reason,
                j.amount,
                now if j.source == "service:3" else j.effective_at,
                j.created_by_id,
            )
            for j in Journal.objects.order_by("pk")
        ],
        "postings": [
            (
                p.journal.idempotency_key,
                owner[p.account_id],
                p.amount,
                p.balance_after,
                p.account_version,
            )
            for p in Posting.objects.select_related("journal").order_by("pk")
        ],
        "lots": [
            (
                lot.journal.idempotency_key,
                owner[lot.account_id],
                lot.amount,
                lot.remaining,
                lot.expires_at,
            )
            for lot in PointLot.objects.select_related("journal").order_by("pk")
        ],
    }


def _one_by_one(world) -> dict:
    with transaction.atomic():
        # A grant's fields are ``points_earn``'s arguments but the actor.
        journals = [points_earn(**g._asdict(), actor=world.users.staff_a) for g in _grants(world)]
        ledger = _ledger()
        transaction.set_rollback(True)
    assert journals[0].pk == journals[4].pk
    return ledger


def test_many_writes_the_rows_that_one_by_one_writes(world):
    points_earn(holder=world.res_y2, amount=5, reason="早先", source="s", idempotency_key="m:2x")
    expected = _one_by_one(world)
    with CaptureQueriesContext(connection) as queries:
        journals = points_earn_many(_grants(world), actor=world.users.staff_a)
    assert _ledger() == expected
    assert [j.idempotency_key for j in journals] == [
        "svc:1",
        "m:1",
        "svc:2",
        "svc:3",
        "svc:1",
        "m:2",
    ]
    assert journals[0] is journals[4]
    # Twenty statements for the whole batch (savepoints included), not a dozen per grant.
    assert len(queries) <= 20, [q["sql"][:80] for q in queries]
    assert balance_of(world.res_a) == 15 and balance_of(world.p_team) == 30
    assert_ledger_consistent()


def test_a_second_call_returns_the_same_journals_and_writes_nothing(world):
    first = points_earn_many(_grants(world))
    before = _ledger()
    again = points_earn_many(_grants(world))
    assert [j.pk for j in again] == [j.pk for j in first]
    assert _ledger() == before


def test_one_by_one_retries_of_a_batch_find_its_journals(world):
    journals = points_earn_many(_grants(world), actor=world.users.staff_a)
    for grant, journal in zip(_grants(world), journals, strict=True):
        assert points_earn(**grant._asdict()).pk == journal.pk
    assert Journal.objects.count() == 5


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ({"amount": 0}, "invalid_amount"),
        ({"reason": " "}, "reason_required"),
        ({"idempotency_key": ""}, "invalid_key"),
        ({"expires_at": WHEN - dt.timedelta(days=1)}, "invalid_expiry"),
        ({"amount": 13}, "idempotency_conflict"),  # svc:1 asked twice, differently
    ],
)
def test_one_refused_grant_refuses_the_batch(world, bad, code):
    grants = _grants(world)
    grants[4] = grants[4]._replace(**bad)
    with pytest.raises(PointsError) as exc:
        points_earn_many(grants)
    assert exc.value.code == code
    assert not Journal.objects.exists() and not Posting.objects.exists()
    assert all(balance_of(holder) == 0 for holder in (world.res_a, world.p_team, world.p_b))


def test_a_key_used_before_for_another_request_refuses_the_batch(world):
    points_earn(holder=world.res_j1, amount=4, reason="r", source="s", idempotency_key="m:1")
    with pytest.raises(PointsError) as exc:
        points_earn_many(_grants(world))
    assert exc.value.code == "idempotency_conflict"
    assert Journal.objects.count() == 1


def test_accounts_for_finds_one_account_per_person(world):
    made = accounts_for([world.p_neighbour, world.res_a, world.p_team, world.res_b])
    assert made[0] == made[1] == account_for(world.res_a)
    assert made[0].household_id == world.res_a.household_id
    assert made[2].partner_id == world.p_team.pk and made[2].resident_id is None
    assert made[3].community_id == world.b.pk
    assert accounts_for([world.res_y2], create=False) == [None]
    assert Account.objects.count() == 3


def test_the_statements_do_not_grow_with_the_batch(world):
    holders = [world.res_a, world.res_y2, world.res_j1, world.p_team]

    def statements(n: int, prefix: str) -> int:
        grants = [
            Grant(holders[i % 4], 1 + i, "志愿服务", f"service:{i}", f"{prefix}:{i}")
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            points_earn_many(grants)
        return len(queries)

    statements(4, "warm")  # the accounts exist from here on
    # Rows are written in batches (SQLite binds at most 999 values a statement): a few more
    # statements for twenty times the grants, never one per grant.
    assert statements(200, "many") <= statements(10, "ten") + 8
    assert_ledger_consistent()

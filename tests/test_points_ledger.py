"""The points ledger: earning, reversal, idempotency, expiry, immutability and ledger_check."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from gongzhi.points.models import Account, AccountKind, Journal, JournalKind, PointLot, Posting
from gongzhi.points.services import (
    PointsError,
    account_for,
    balance_of,
    points_earn,
    points_expire,
    points_reverse,
)
from tests.helpers import assert_ledger_consistent


def earn(holder, amount=10, key="k1", **kw):
    return points_earn(
        holder=holder, amount=amount, reason="志愿服务", source="test", idempotency_key=key, **kw
    )


def test_earning_credits_the_holder_from_issuance(world):
    journal = earn(world.p_neighbour, 30)
    assert journal.kind == JournalKind.EARN
    assert balance_of(world.p_neighbour) == 30
    # A partner linked to a resident shares that resident's account.
    assert balance_of(world.res_a) == 30
    assert account_for(world.p_neighbour) == account_for(world.res_a)
    issuance = Account.objects.get(community=world.a, kind=AccountKind.ISSUANCE)
    assert issuance.balance == -30
    assert_ledger_consistent()


def test_partner_without_resident_has_own_account(world):
    earn(world.p_team, 5)
    account = account_for(world.p_team)
    assert account.partner == world.p_team and account.resident is None
    assert balance_of(world.p_team) == 5


@pytest.mark.parametrize("amount", [0, -5, 2.5, True, "10", 10_000_001])
def test_bad_amount_is_refused_and_changes_nothing(world, amount):
    with pytest.raises(PointsError) as exc:
        earn(world.res_a, amount)
    assert exc.value.code == "invalid_amount"
    assert Journal.objects.count() == 0
    assert Posting.objects.count() == 0


def test_reason_and_key_are_required(world):
    with pytest.raises(PointsError) as exc:
        points_earn(holder=world.res_a, amount=1, reason=" ", source="", idempotency_key="x")
    assert exc.value.code == "reason_required"
    with pytest.raises(PointsError) as exc:
        points_earn(holder=world.res_a, amount=1, reason="r", source="", idempotency_key="")
    assert exc.value.code == "invalid_key"
    assert Journal.objects.count() == 0


def test_retried_idempotency_key_makes_one_journal(world):
    first = earn(world.res_a, 10, key="svc:1")
    again = earn(world.res_a, 10, key="svc:1")
    assert again.pk == first.pk
    assert Journal.objects.count() == 1
    assert balance_of(world.res_a) == 10
    with pytest.raises(PointsError) as exc:
        earn(world.res_a, 11, key="svc:1")
    assert exc.value.code == "idempotency_conflict"
    assert balance_of(world.res_a) == 10


def test_reversal_restores_balances_and_cannot_be_repeated(world):
    earn(world.res_a, 10, key="a")
    journal = earn(world.res_a, 7, key="b")
    reversal = points_reverse(journal=journal, reason="记录有误", actor=world.users.staff_a)
    assert reversal.kind == JournalKind.REVERSAL and reversal.reverses == journal
    assert balance_of(world.res_a) == 10
    assert Account.objects.get(community=world.a, kind=AccountKind.ISSUANCE).balance == -10
    for posting in reversal.postings.all():
        original = journal.postings.get(account=posting.account)
        assert posting.amount == -original.amount
    with pytest.raises(PointsError) as exc:
        points_reverse(journal=journal, reason="again", actor=world.users.staff_a)
    assert exc.value.code == "already_reversed"
    with pytest.raises(PointsError) as exc:
        points_reverse(journal=reversal, reason="undo", actor=world.users.staff_a)
    assert exc.value.code == "not_reversible"
    assert Journal.objects.count() == 3
    assert_ledger_consistent()


def test_spent_points_cannot_be_reversed(world):
    from gongzhi.points.models import ShopItem
    from gongzhi.points.services import redemption_order

    journal = earn(world.res_a, 10)
    item = ShopItem.objects.create(community=world.a, name="毛巾", price=8, stock=3)
    redemption_order(holder=world.res_a, item=item, actor=None, idempotency_key="o1")
    count = Journal.objects.count()
    with pytest.raises(PointsError) as exc:
        points_reverse(journal=journal, reason="记录有误", actor=None)
    assert exc.value.code == "insufficient"
    assert Journal.objects.count() == count
    assert balance_of(world.res_a) == 2
    assert_ledger_consistent()


def test_expiry_takes_oldest_lots_first(world):
    now = timezone.now()
    earn(
        world.res_a,
        10,
        key="old",
        effective_at=now - dt.timedelta(days=400),
        expires_at=now - dt.timedelta(days=1),
    )
    earn(
        world.res_a,
        5,
        key="new",
        effective_at=now - dt.timedelta(days=10),
        expires_at=now + dt.timedelta(days=300),
    )
    assert points_expire(now=now) == 10
    assert balance_of(world.res_a) == 5
    assert points_expire(now=now) == 0
    assert Account.objects.get(community=world.a, kind=AccountKind.EXPIRED).balance == 10
    assert PointLot.objects.get(journal__idempotency_key="new").remaining == 5
    assert_ledger_consistent()


def test_expiry_must_follow_earning(world):
    now = timezone.now()
    with pytest.raises(PointsError) as exc:
        earn(world.res_a, 10, effective_at=now, expires_at=now)
    assert exc.value.code == "invalid_expiry"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE points_journal SET reason = 'x'",
        "DELETE FROM points_journal",
        "UPDATE points_posting SET amount = amount * 2",
        "DELETE FROM points_posting",
    ],
)
def test_database_refuses_update_and_delete_of_ledger_rows(world, sql):
    earn(world.res_a, 10)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Posting.objects.count() == 2
    assert Journal.objects.count() == 1


def test_orm_delete_of_a_journal_is_refused(world):
    journal = earn(world.res_a, 10)
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            Posting.objects.filter(journal=journal).delete()
    assert balance_of(world.res_a) == 10


def run_check():
    out = io.StringIO()
    try:
        call_command("ledger_check", stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(out.getvalue())


def test_ledger_check_passes_on_a_consistent_ledger(world):
    earn(world.res_a, 10)
    code, report = run_check()
    assert code == 0
    assert report["ok"] is True
    assert report["journals"] == 1 and report["accounts"] == 2


def test_ledger_check_fails_when_a_cached_balance_differs(world):
    earn(world.res_a, 10)
    Account.objects.filter(kind=AccountKind.MAIN).update(balance=11)
    code, report = run_check()
    assert code == 1
    assert report["ok"] is False
    assert report["balance_differences"][0]["cached"] == 11
    assert report["balance_differences"][0]["postings"] == 10

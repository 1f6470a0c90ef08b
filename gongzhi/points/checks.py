"""The ledger's invariants, checked from the rows themselves (``gongzhi ledger_check``).

1. every journal's postings sum to zero (and a journal has at least two);
2. every account's cached balance equals the sum of its postings, and its version their count;
3. a personal account's unspent lots add up to its balance;
4. each community's hold account holds exactly the points of the orders awaiting pickup.
"""

from django.db.models import Count, Q, Sum

from gongzhi.points.models import (
    Account,
    AccountKind,
    Journal,
    PointLot,
    Redemption,
    RedemptionStatus,
)


def ledger_check() -> dict:
    unbalanced = [
        {"journal": row["pk"], "sum": row["total"] or 0, "postings": row["n"]}
        for row in Journal.objects.annotate(total=Sum("postings__amount"), n=Count("postings"))
        .filter(~Q(total=0) | Q(total__isnull=True) | Q(n__lt=2))
        .values("pk", "total", "n")
    ]
    sums = Account.objects.annotate(total=Sum("postings__amount"), n=Count("postings"))
    balances = [
        {
            "account": row["pk"],
            "cached": row["balance"],
            "postings": row["total"] or 0,
            "version": row["version"],
            "count": row["n"],
        }
        for row in sums.values("pk", "balance", "version", "total", "n")
        if row["balance"] != (row["total"] or 0) or row["version"] != row["n"]
    ]
    lots = dict(
        PointLot.objects.values("account_id")
        .annotate(total=Sum("remaining"))
        .values_list("account_id", "total")
    )
    lot_differences = [
        {"account": pk, "balance": balance, "lots": lots.get(pk, 0)}
        for pk, balance in Account.objects.filter(kind=AccountKind.MAIN).values_list(
            "pk", "balance"
        )
        if lots.get(pk, 0) != balance
    ]
    held = dict(
        Redemption.objects.filter(status=RedemptionStatus.HELD)
        .values("account__community_id")
        .annotate(total=Sum("points"))
        .values_list("account__community_id", "total")
    )
    hold_differences = [
        {"community": community_id, "hold": balance, "orders": held.get(community_id, 0)}
        for community_id, balance in Account.objects.filter(kind=AccountKind.HOLD).values_list(
            "community_id", "balance"
        )
        if held.get(community_id, 0) != balance
    ]
    ok = not (unbalanced or balances or lot_differences or hold_differences)
    return {
        "ok": ok,
        "journals": Journal.objects.count(),
        "accounts": Account.objects.count(),
        "unbalanced_journals": unbalanced,
        "balance_differences": balances,
        "lot_differences": lot_differences,
        "hold_differences": hold_differences,
    }

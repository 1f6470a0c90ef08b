"""Reads of accounts, postings, shop items and orders for pages, the API and exports.

Scope is decided in ``rules.py``; every list here goes through it, and the place filter the
user asked for narrows on top of it.
"""

from django.db.models import Count, Q, QuerySet, Sum

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.points import rules
from gongzhi.points.models import (
    Account,
    AccountKind,
    Journal,
    JournalKind,
    Posting,
    Redemption,
    RedemptionStatus,
    ShopItem,
)


def account_list(user, *, place: Place | None = None, text: str = "") -> QuerySet:
    qs = Account.objects.filter(kind=AccountKind.MAIN).select_related(
        "resident", "partner", "community", "compound", "building"
    )
    qs = narrow(rules.visible(user, qs), place)
    if text:
        qs = qs.filter(Q(resident__name__contains=text) | Q(partner__name__contains=text))
    return qs.order_by("-balance", "id")


def account_for_user(user) -> Account | None:
    """The user's own main account, if they have one."""
    return Account.objects.filter(rules.own_q(user), kind=AccountKind.MAIN).first()


def postings_of(account: Account) -> QuerySet:
    return (
        Posting.objects.filter(account=account)
        .select_related("journal", "journal__reversed_by")
        .order_by("-id")
    )


def journal_list(user, *, place: Place | None = None) -> QuerySet:
    """Journals touching an account the user may see."""
    postings = narrow(
        rules.visible(user, Posting.objects.filter(account__kind=AccountKind.MAIN), "account__"),
        place,
    )
    return (
        Journal.objects.filter(pk__in=postings.values("journal_id"))
        .select_related("reversed_by")
        .order_by("-id")
    )


def item_list(user, *, place: Place | None = None, active_only: bool = False) -> QuerySet:
    qs = narrow(rules.items_visible(user, ShopItem.objects.select_related("community")), place)
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("community_id", "price", "id")


def redemption_list(
    user, *, place: Place | None = None, status: str = "", mine: bool = False
) -> QuerySet:
    qs = Redemption.objects.select_related(
        "item", "account__resident", "account__partner", "account__building__compound"
    )
    if mine:
        qs = qs.filter(rules.own_q(user, "account__"))
    else:
        qs = rules.visible(user, qs, "account__")
    qs = narrow(qs, place)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-ordered_at", "-id")


def points_section(place: Place | None) -> dict:
    """``points_issued``: points earned, net of reversed earnings; ``points_redeemed``: points
    spent on orders picked up; ``points_held``: points held by orders awaiting pickup;
    ``shop``: items on sale, units in stock and orders by status."""
    journals = narrow(Journal.objects.all(), place).aggregate(
        earned=Sum("amount", filter=Q(kind=JournalKind.EARN)),
        reversed=Sum("amount", filter=Q(kind=JournalKind.REVERSAL)),
        expired=Sum("amount", filter=Q(kind=JournalKind.EXPIRE)),
    )
    orders = narrow(Redemption.objects.all(), place).aggregate(
        points_redeemed=Sum("points", filter=Q(status=RedemptionStatus.FULFILLED)),
        points_held=Sum("points", filter=Q(status=RedemptionStatus.HELD)),
        **{f"n_{s.value}": Count("id", filter=Q(status=s)) for s in RedemptionStatus},
    )
    items = narrow(ShopItem.objects.filter(active=True), place).aggregate(
        n=Count("id"), stock=Sum("stock")
    )
    return {
        "points_issued": (journals["earned"] or 0) - (journals["reversed"] or 0),
        "points_redeemed": orders["points_redeemed"] or 0,
        "points_held": orders["points_held"] or 0,
        "points_expired": journals["expired"] or 0,
        "shop": {
            "items": items["n"],
            "stock": items["stock"] or 0,
            "redemptions": {s.value: orders[f"n_{s.value}"] for s in RedemptionStatus},
        },
    }


def holder_of(user):
    """The person a user acts as in the shop: their resident record, else their partner."""
    profile = getattr(user, "profile", None) if getattr(user, "is_authenticated", False) else None
    if profile is None:
        return None
    if profile.resident_id:
        return profile.resident
    return profile.partner if profile.partner_id else None


def holder_account(user, account_id: int) -> Account | None:
    """A visible main account by id (staff ordering on a person's behalf)."""
    return (
        rules.visible(user, Account.objects.filter(kind=AccountKind.MAIN))
        .select_related("resident", "partner")
        .filter(pk=account_id)
        .first()
    )

"""The points ledger (积分) and the points shop (积分超市).

Double entry, append-only. Every change of points is a ``Journal`` with two or more
``Posting`` rows whose amounts sum to zero; a posting's amount is what it adds to its
account (negative takes away). Journals and postings are never updated or deleted: database
triggers refuse it (migration 0002), and a mistake is corrected by a reversal journal.

Accounts:

* ``main``: one per person. A person is a resident (with or without partnerships: a
  resident who is two kinds of partner still has one account) or a partner without a
  resident record (a dispatched cadre, an outdoor worker). Never negative.
* per community, system accounts: ``issuance`` (points enter from here, so it goes
  negative by what was issued), ``hold`` (points held by orders waiting for pickup),
  ``store`` (points spent at pickup) and ``expired`` (points that lapsed).

``Account.balance`` and ``Account.version`` are a cache of ``SUM(amount)`` and ``COUNT(*)`` of
the account's postings, kept under the account's row lock (``gongzhi ledger_check`` verifies).

Each credit to a main account by an earning opens a ``PointLot`` (with an optional expiry);
spending takes from the oldest lots first, and ``LotUse`` remembers which, so a cancelled
order gives the points back to the lots they came from.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.places import PlacePaths
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound, Household


class AccountKind(models.TextChoices):
    MAIN = "main", _("personal account")
    ISSUANCE = "issuance", _("issuance")
    HOLD = "hold", _("held for orders")
    STORE = "store", _("spent in the shop")
    EXPIRED = "expired", _("expired")


SYSTEM_KINDS = (AccountKind.ISSUANCE, AccountKind.HOLD, AccountKind.STORE, AccountKind.EXPIRED)


class Account(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_accounts",
        verbose_name=_("resident"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_accounts",
        verbose_name=_("partner"),
        help_text=_("Only for partners without a resident record"),
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    version = models.BigIntegerField(_("postings"), default=0)
    allow_negative = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    PLACE = PlacePaths(
        subdistrict="community__subdistrict",
        community="community",
        compound="compound",
        building="building",
        household="household",
    )

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance__gte=0),
                name="points_account_not_negative",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="main", resident__isnull=False, partner__isnull=True)
                    | Q(kind="main", resident__isnull=True, partner__isnull=False)
                    | (~Q(kind="main") & Q(resident__isnull=True, partner__isnull=True))
                ),
                name="points_account_owner_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(allow_negative=False) | Q(kind="issuance"),
                name="points_only_issuance_negative",
            ),
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(resident__isnull=False),
                name="points_one_account_per_resident",
            ),
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(partner__isnull=False),
                name="points_one_account_per_partner",
            ),
            models.UniqueConstraint(
                fields=["community", "kind"],
                condition=~Q(kind="main"),
                name="points_one_system_account",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == AccountKind.MAIN:
            return self.holder_name
        return f"{self.community} · {self.get_kind_display()}"

    @property
    def holder(self):
        return self.resident if self.resident_id else self.partner

    @property
    def holder_name(self) -> str:
        holder = self.holder
        return holder.name if holder is not None else ""


class JournalKind(models.TextChoices):
    EARN = "earn", _("earned")
    REVERSAL = "reversal", _("reversal")
    REDEEM_HOLD = "redeem_hold", _("held for an order")
    REDEEM_POST = "redeem_post", _("redeemed")
    REDEEM_VOID = "redeem_void", _("order released")
    EXPIRE = "expire", _("expired")


class Journal(models.Model):
    """One balanced change of points. Immutable: a database trigger refuses UPDATE and DELETE."""

    kind = models.CharField(_("kind"), max_length=12, choices=JournalKind.choices)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    # A digest of what was asked: a retry with the same key must ask for the same thing.
    request_hash = models.CharField(max_length=64)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    source = models.CharField(_("source"), max_length=120, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    amount = models.BigIntegerField(_("points"))
    effective_at = models.DateTimeField(_("effective"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("points journal")
        verbose_name_plural = _("points journals")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="points_journal_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="points_reversal_names_journal",
            ),
        ]
        indexes = [models.Index(fields=["community", "kind"], name="points_journal_kind_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.amount}"


class Posting(models.Model):
    """One leg of a journal. Immutable, like its journal."""

    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField(_("points"))
    balance_after = models.BigIntegerField(_("balance after"))
    account_version = models.BigIntegerField()

    PLACE = PlacePaths(
        subdistrict="account__community__subdistrict",
        community="account__community",
        compound="account__compound",
        building="account__building",
        household="account__household",
    )

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="points_posting_not_zero"),
            models.UniqueConstraint(
                fields=["account", "account_version"], name="points_posting_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount:+d}"


class PointLot(models.Model):
    """Points earned together, spent oldest first, optionally expiring together."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots")
    journal = models.OneToOneField(Journal, on_delete=models.PROTECT, related_name="lot")
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField()
    effective_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        ordering = ["effective_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")),
                name="points_lot_remaining_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(remaining__gt=0, expires_at__isnull=False),
                name="points_lot_expiring_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.remaining}/{self.amount}"


class LotUse(models.Model):
    """Points a journal took from a lot; a released order gives them back."""

    lot = models.ForeignKey(PointLot, on_delete=models.PROTECT, related_name="uses")
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="lot_uses")
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="points_lot_use_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id} −{self.amount}"


class ShopItem(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    price = models.PositiveIntegerField(_("price in points"))
    stock = models.IntegerField(_("stock"), default=0)
    per_person_limit = models.PositiveIntegerField(
        _("limit per person"),
        null=True,
        blank=True,
        help_text=_("How many one person may hold or have redeemed; empty for no limit"),
    )
    pickup_days = models.PositiveIntegerField(
        _("days to pick up"), default=7, help_text=_("An order not picked up is released")
    )
    active = models.BooleanField(_("on sale"), default=True)
    photo = models.ImageField(_("photo"), upload_to="shop/", blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("shop item")
        verbose_name_plural = _("shop items")
        ordering = ["community", "price", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="points_item_price_positive"),
            models.CheckConstraint(
                condition=Q(stock__gte=0), name="points_item_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(per_person_limit__isnull=True) | Q(per_person_limit__gt=0),
                name="points_item_limit_positive",
            ),
            models.CheckConstraint(condition=Q(pickup_days__gt=0), name="points_item_pickup_days"),
            models.UniqueConstraint(fields=["community", "name"], name="points_item_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    HELD = "held", _("awaiting pickup")
    FULFILLED = "fulfilled", _("picked up")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("not picked up")


OPEN_STATUSES = (RedemptionStatus.HELD,)
COUNTED_STATUSES = (RedemptionStatus.HELD, RedemptionStatus.FULFILLED)


class Redemption(models.Model):
    """An order in the shop: the order holds points and stock; pickup, cancel or timeout
    resolves it exactly once (the settle journal is unique and set once)."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("account")
    )
    item = models.ForeignKey(
        ShopItem, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("item")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.PositiveIntegerField(_("price in points"))
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RedemptionStatus.choices,
        default=RedemptionStatus.HELD,
    )
    idempotency_key = models.CharField(max_length=120, unique=True)
    hold_journal = models.OneToOneField(
        Journal, on_delete=models.PROTECT, related_name="held_redemption"
    )
    settle_journal = models.OneToOneField(
        Journal, on_delete=models.PROTECT, null=True, blank=True, related_name="settled_redemption"
    )
    ordered_at = models.DateTimeField(_("ordered"))
    expires_at = models.DateTimeField(_("pick up by"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    PLACE = Posting.PLACE

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="points_redemption_qty"),
            models.CheckConstraint(
                condition=Q(points=F("unit_price") * F("quantity")),
                name="points_redemption_total",
            ),
            models.CheckConstraint(
                condition=Q(status="held", settle_journal__isnull=True, resolved_at__isnull=True)
                | (~Q(status="held") & Q(settle_journal__isnull=False, resolved_at__isnull=False)),
                name="points_redemption_resolved_once",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="points_redemption_due")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.item} ×{self.quantity}"

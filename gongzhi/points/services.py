"""Every change of points and every shop order: one function per change.

All of them post through ``_post``, which locks the accounts involved in sorted id order
(``select_for_update``; on SQLite the IMMEDIATE transaction already serialises writers),
checks that no account that must stay non-negative goes below zero, updates the balance cache
and appends one journal with its postings. A refused change raises ``PointsError`` with a
stable code and a translated message, and changes nothing.

Idempotency: every journal has a unique key. Calling again with the same key and the same
request returns the first journal (or order); the same key with a different request is
refused (``idempotency_conflict``). Two racing calls with one key make one journal: the
loser's insert fails on the unique key, its savepoint rolls back, and it returns the winner's.

Shop orders are two-phase:

    order ──(points main → hold, stock − q)──► held ──pickup (hold → store)──► fulfilled
                                                 └──cancel / timeout (hold → main, stock + q)──► cancelled / expired
"""

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Literal, NamedTuple, cast, overload

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.services import ServiceError, acting_user, locked
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Community
from gongzhi.points import rules
from gongzhi.points.models import (
    COUNTED_STATUSES,
    Account,
    AccountKind,
    Journal,
    JournalKind,
    LotUse,
    PointLot,
    Posting,
    Redemption,
    RedemptionStatus,
    ShopItem,
)

Holder = Partner | Resident
MAX_AMOUNT = 1_000_000
MAX_QUANTITY = 100
BATCH = 1000
# ``bulk_update`` writes one CASE branch per row and column: small statements stay linear.
BATCH_UPDATE = 100


class PointsError(ServiceError):
    """A refused write (``core.services.ServiceError``): 403 ``forbidden``; 409 ``bad_state``,
    ``insufficient``, ``out_of_stock``, ``over_limit``, ``idempotency_conflict``; 400 the rest."""

    statuses = {
        "insufficient": 409,
        "out_of_stock": 409,
        "over_limit": 409,
        "idempotency_conflict": 409,
    }


def _forbidden() -> PointsError:
    return PointsError("forbidden", _("You may not do this."))


def _hash(**payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > 120:
        raise PointsError(
            "invalid_key", _("An idempotency key of 1 to 120 characters is required.")
        )
    return key


def _check_amount(amount) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise PointsError(
            "invalid_amount",
            _("Points must be a whole number from 1 to %(max)d.") % {"max": MAX_AMOUNT},
        )
    return amount


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PointsError("reason_required", _("Give a reason."))
    return reason[:200]


# Accounts ---------------------------------------------------------------------------------


def _persons(holders: Sequence[Holder]) -> list[dict[str, int | None]]:
    """The account owner and place of each holder, in two statements at most: a partner
    linked to a resident is that resident (one person, one account)."""
    resident_ids = set()
    for holder in holders:
        if isinstance(holder, Resident):
            resident_ids.add(holder.pk)
        elif isinstance(holder, Partner):
            if holder.resident_id is not None:
                resident_ids.add(holder.resident_id)
        else:
            raise PointsError("invalid_holder", _("Points belong to a resident or a partner."))
    places: dict[int | None, dict[str, int | None]] = {
        pk: {
            "resident_id": pk,
            "household_id": household,
            "building_id": building,
            "compound_id": compound,
            "community_id": community,
        }
        for pk, household, building, compound, community in Resident.objects.filter(
            pk__in=resident_ids
        ).values_list(
            "pk",
            "household_id",
            "household__unit__building_id",
            "household__unit__building__compound_id",
            "household__unit__building__compound__community_id",
        )
    }
    persons: list[dict[str, int | None]] = []
    for holder in holders:
        if isinstance(holder, Partner) and holder.resident_id is None:
            persons.append(
                {
                    "partner_id": holder.pk,
                    "community_id": holder.community_id,
                    "compound_id": holder.compound_id,
                    "building_id": holder.building_id,
                    "household_id": None,
                }
            )
        else:
            place = places.get(holder.pk if isinstance(holder, Resident) else holder.resident_id)
            if place is None:
                raise PointsError("invalid_holder", _("Points belong to a resident or a partner."))
            persons.append(place)
    return persons


def _owner(row: dict | Account) -> tuple[str, int | None]:
    """``("resident_id", pk)`` or ``("partner_id", pk)``: whose main account it is."""
    if isinstance(row, dict):
        resident, partner = row.get("resident_id"), row.get("partner_id")
    else:
        resident, partner = row.resident_id, row.partner_id
    return ("resident_id", resident) if resident is not None else ("partner_id", partner)


def _get_or_create(lookup: dict, defaults: dict) -> Account:
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup, **defaults)
    except IntegrityError:
        # Another transaction created it first.
        return Account.objects.get(**lookup)


@overload
def accounts_for(holders: Sequence[Holder], *, create: Literal[True] = True) -> list[Account]: ...
@overload
def accounts_for(holders: Sequence[Holder], *, create: bool) -> list[Account | None]: ...
def accounts_for(holders: Sequence[Holder], *, create: bool = True) -> Sequence[Account | None]:
    """The holders' main accounts, in order (created on first use unless ``create`` is
    False, else ``None`` for a holder without one). Two holders that are one person (a
    partner and their resident) get the same account."""
    persons = _persons(holders)
    owners = [_owner(person) for person in persons]
    wanted = {
        name: {pk for owner, pk in owners if owner == name}
        for name in ("resident_id", "partner_id")
    }
    found = {
        _owner(account): account
        for account in Account.objects.filter(kind=AccountKind.MAIN).filter(
            Q(resident_id__in=wanted["resident_id"]) | Q(partner_id__in=wanted["partner_id"])
        )
    }
    missing = {
        owner: person for owner, person in zip(owners, persons, strict=True) if owner not in found
    }
    if create and missing:
        new = [Account(kind=AccountKind.MAIN, **person) for person in missing.values()]
        try:
            with transaction.atomic():
                Account.objects.bulk_create(new)
            found.update(zip(missing, new, strict=True))
        except IntegrityError:
            # Another transaction created some of them first: one by one.
            for (name, pk), person in missing.items():
                lookup = {"kind": AccountKind.MAIN, name: pk}
                defaults = {key: value for key, value in person.items() if key != name}
                found[(name, pk)] = _get_or_create(lookup, defaults)
    return [found.get(owner) for owner in owners]


@overload
def account_for(holder: Holder, *, create: Literal[True] = True) -> Account: ...
@overload
def account_for(holder: Holder, *, create: bool) -> Account | None: ...
def account_for(holder: Holder, *, create: bool = True) -> Account | None:
    """The holder's main account (created on first use unless ``create`` is False)."""
    return accounts_for([holder], create=create)[0]


def system_account(community: Community | int, kind: str) -> Account:
    community_id = getattr(community, "pk", community)
    return _get_or_create(
        {"community_id": community_id, "kind": kind},
        {"allow_negative": kind == AccountKind.ISSUANCE},
    )


def balance_of(holder: Holder) -> int:
    account = account_for(holder, create=False)
    return account.balance if account is not None else 0


# Posting ----------------------------------------------------------------------------------


def _lock(*accounts: Account) -> dict[int, Account]:
    ids = sorted({account.pk for account in accounts})
    return {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _conflict() -> PointsError:
    return PointsError(
        "idempotency_conflict",
        _("This idempotency key was already used for a different request."),
    )


def _post(
    *,
    kind: str,
    community_id: int,
    key: str,
    request_hash: str,
    legs: list[tuple[Account, int]],
    reason: str,
    source: str = "",
    actor: User | None = None,
    effective_at: dt.datetime | None = None,
    reverses: Journal | None = None,
) -> Journal:
    """Append one balanced journal. Call inside a transaction; the accounts get locked here."""
    if sum(amount for _account, amount in legs) != 0:
        raise ValueError("a journal must sum to zero")
    locked = _lock(*(account for account, _amount in legs))
    journal = Journal.objects.create(
        kind=kind,
        community_id=community_id,
        idempotency_key=key,
        request_hash=request_hash,
        reverses=reverses,
        source=source[:120],
        reason=reason,
        amount=sum(amount for _account, amount in legs if amount > 0),
        effective_at=effective_at or timezone.now(),
        created_by=acting_user(actor),
    )
    postings = _move(locked, legs, journal)
    for pk in sorted({account.pk for account, _amount in legs}):
        locked[pk].save(update_fields=["balance", "version"])
    Posting.objects.bulk_create(postings)
    return journal


def _move(locked: dict[int, Account], legs: list[tuple[Account, int]], journal) -> list[Posting]:
    """Apply the legs to the locked rows' balance and version (and to the legs' own account
    objects), refusing to take an account that must stay non-negative below zero; returns
    the postings to write. The caller saves the rows."""
    postings = []
    for account, amount in legs:
        row = locked[account.pk]
        row.balance += amount
        row.version += 1
        if row.balance < 0 and not row.allow_negative:
            raise PointsError(
                "insufficient",
                _("Not enough points: the balance is %(balance)d, %(needed)d are needed.")
                % {"balance": row.balance - amount, "needed": -amount},
            )
        account.balance, account.version = row.balance, row.version
        postings.append(
            Posting(
                journal=journal,
                account=row,
                amount=amount,
                balance_after=row.balance,
                account_version=row.version,
            )
        )
    return postings


def _take_from_lots(account: Account, amount: int, journal: Journal, first=None) -> None:
    """Spend ``amount`` from the account's lots, oldest first (``first`` before all others).
    The account is locked, so its lots cannot change under us."""
    lots = list(account.lots.filter(remaining__gt=0).order_by("effective_at", "id"))
    if first is not None:
        lots.sort(key=lambda lot: lot.pk != first.pk)
    uses = []
    for lot in lots:
        if amount == 0:
            break
        take = min(amount, lot.remaining)
        lot.remaining -= take
        lot.save(update_fields=["remaining"])
        uses.append(LotUse(lot=lot, journal=journal, amount=take))
        amount -= take
    if amount:
        raise RuntimeError(f"points lots of account {account.pk} do not cover its balance")
    LotUse.objects.bulk_create(uses)


def _once(key: str, find, create):
    """Run ``create`` in a savepoint; if it loses a race on the idempotency key, return what
    ``find`` finds instead (the winner's result)."""
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found


# Earning and reversal ---------------------------------------------------------------------


class Grant(NamedTuple):
    """One earning: what ``points_earn`` is called with, but the actor."""

    holder: Holder
    amount: int
    reason: str
    source: str
    idempotency_key: str
    effective_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


@transaction.atomic
def points_earn(
    *,
    holder: Holder,
    amount: int,
    reason: str,
    source: str,
    idempotency_key: str,
    actor: User | None = None,
    effective_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> Journal:
    """Issue ``amount`` points to the holder (issuance → holder), as one lot."""
    grant = Grant(holder, amount, reason, source, idempotency_key, effective_at, expires_at)
    return points_earn_many([grant], actor=actor)[0]


@transaction.atomic
def points_earn_many(grants: Sequence[Grant], *, actor: User | None = None) -> list[Journal]:
    """Issue every grant, in order, as ``points_earn`` would one by one: the same journals,
    postings, lots and balances, written in a few statements instead of a dozen per grant.

    All or nothing: a refused grant (bad amount, reason, key or expiry; a key already used
    for a different request) refuses the batch and changes nothing. A grant whose key was
    already used for the same request, earlier or earlier in the batch, returns that
    journal. If another transaction writes one of the keys meanwhile, the batch is tried
    once more and then finds that journal (or refuses a different request).
    """
    checked = [_checked_grant(grant) for grant in grants]
    accounts = accounts_for([grant.holder for grant in checked])
    hashes = [
        _hash(
            kind="earn",
            account=account.pk,
            amount=grant.amount,
            source=grant.source,
            expires_at=grant.expires_at,
        )
        for grant, account in zip(checked, accounts, strict=True)
    ]
    keys = [grant.idempotency_key for grant in checked]
    for attempt in (1, 2):
        journals: dict[str, Journal] = {}
        for journal in Journal.objects.filter(idempotency_key__in=set(keys)):
            journals[journal.idempotency_key] = journal
        new: list[int] = []
        asked: dict[str, str] = {}  # key → request hash
        asked_at: dict[str, int] = {}  # key → first grant
        for index, (key, request_hash) in enumerate(zip(keys, hashes, strict=True)):
            if asked.setdefault(key, request_hash) != request_hash or (
                key in journals and journals[key].request_hash != request_hash
            ):
                raise _conflict()
            if key not in journals and asked_at.setdefault(key, index) == index:
                new.append(index)
        try:
            with transaction.atomic():
                journals.update(_earn_new(checked, accounts, hashes, new, actor))
            break
        except IntegrityError:
            # A concurrent call wrote one of the keys first (its savepoint is undone).
            if attempt == 2:
                raise
    return [journals[key] for key in keys]


def _checked_grant(grant: Grant) -> Grant:
    amount = _check_amount(grant.amount)
    reason = _check_reason(grant.reason)
    key = _check_key(grant.idempotency_key)
    effective_at = grant.effective_at or timezone.now()
    if grant.expires_at is not None and grant.expires_at <= effective_at:
        raise PointsError("invalid_expiry", _("Points must expire after they are earned."))
    return grant._replace(
        amount=amount, reason=reason, idempotency_key=key, effective_at=effective_at
    )


def _earn_new(
    grants: list[Grant],
    accounts: list[Account],
    hashes: list[str],
    new: list[int],
    actor: User | None,
) -> dict[str, Journal]:
    """Write the journals, postings and lots of ``grants[i]`` for ``i`` in ``new`` (checked
    grants: their ``effective_at`` is set)."""
    if not new:
        return {}
    when = {i: cast("dt.datetime", grants[i].effective_at) for i in new}
    issuance = {
        community_id: system_account(community_id, AccountKind.ISSUANCE)
        for community_id in sorted({accounts[i].community_id for i in new})
    }
    locked = _lock(*(accounts[i] for i in new), *issuance.values())
    created_by = acting_user(actor)
    journals = [
        Journal(
            kind=JournalKind.EARN,
            community_id=accounts[i].community_id,
            idempotency_key=grants[i].idempotency_key,
            request_hash=hashes[i],
            source=grants[i].source[:120],
            reason=grants[i].reason,
            amount=grants[i].amount,
            effective_at=when[i],
            created_by=created_by,
        )
        for i in new
    ]
    Journal.objects.bulk_create(journals, batch_size=BATCH)
    postings, lots = [], []
    for i, journal in zip(new, journals, strict=True):
        account, amount = accounts[i], grants[i].amount
        legs = [(issuance[account.community_id], -amount), (account, amount)]
        postings += _move(locked, legs, journal)
        lots.append(
            PointLot(
                account=account,
                journal=journal,
                amount=amount,
                remaining=amount,
                effective_at=when[i],
                expires_at=grants[i].expires_at,
            )
        )
    Account.objects.bulk_update(
        [locked[pk] for pk in sorted(locked)], ["balance", "version"], batch_size=BATCH_UPDATE
    )
    Posting.objects.bulk_create(postings, batch_size=BATCH)
    PointLot.objects.bulk_create(lots, batch_size=BATCH)
    return {journal.idempotency_key: journal for journal in journals}


@transaction.atomic
def points_reverse(*, journal: Journal, reason: str, actor: User | None) -> Journal:
    """Undo an earning with a journal of the opposite postings; at most once per journal.

    Only earnings are reversed: orders are released by cancelling them, and a reversal is
    never reversed (record a new earning instead). Points already spent cannot be reversed.
    """
    reason = _check_reason(reason)
    if journal.kind == JournalKind.REVERSAL:
        raise PointsError(
            "not_reversible", _("A reversal cannot be reversed; record a new earning instead.")
        )
    if journal.kind != JournalKind.EARN:
        raise PointsError(
            "not_reversible", _("Only earnings can be reversed; cancel an order instead.")
        )
    if Journal.objects.filter(reverses=journal).exists():
        raise PointsError("already_reversed", _("This journal has already been reversed."))
    key = f"reversal:{journal.pk}"
    legs = [
        (posting.account, -posting.amount) for posting in journal.postings.select_related("account")
    ]

    def create() -> Journal:
        reversal = _post(
            kind=JournalKind.REVERSAL,
            community_id=journal.community_id,
            key=key,
            request_hash=_hash(kind="reversal", journal=journal.pk),
            legs=legs,
            reason=reason,
            source=journal.source,
            actor=actor,
            reverses=journal,
        )
        lot = journal.lot
        _take_from_lots(lot.account, journal.amount, reversal, first=lot)
        return reversal

    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        if Journal.objects.filter(reverses=journal).exists():
            raise PointsError(
                "already_reversed", _("This journal has already been reversed.")
            ) from None
        raise


# Expiry -----------------------------------------------------------------------------------


def _expire_account(account_id: int, now: dt.datetime) -> int:
    with transaction.atomic():
        account = Account.objects.get(pk=account_id)
        sink = system_account(account.community_id, AccountKind.EXPIRED)
        account = _lock(account, sink)[account.pk]
        lots = list(account.lots.filter(remaining__gt=0, expires_at__lte=now))
        total = sum(lot.remaining for lot in lots)
        if total == 0:
            return 0
        key = f"expire:{account.pk}:{account.version}"
        journal = _post(
            kind=JournalKind.EXPIRE,
            community_id=account.community_id,
            key=key,
            request_hash=_hash(kind="expire", key=key),
            legs=[(account, -total), (sink, total)],
            reason=_("Points expired"),
            effective_at=now,
        )
        for lot in lots:
            LotUse.objects.create(lot=lot, journal=journal, amount=lot.remaining)
            lot.remaining = 0
            lot.save(update_fields=["remaining"])
        return total


def points_expire(*, now: dt.datetime | None = None) -> int:
    """Move the unspent points of lots past their expiry to the expiry account, one journal
    per account. Returns the number of points expired (zero when run again)."""
    now = now or timezone.now()
    account_ids = (
        PointLot.objects.filter(remaining__gt=0, expires_at__lte=now)
        .values_list("account_id", flat=True)
        .distinct()
    )
    return sum(_expire_account(account_id, now) for account_id in sorted(set(account_ids)))


# The shop ---------------------------------------------------------------------------------


def _check_quantity(quantity) -> int:
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 0 < quantity <= MAX_QUANTITY
    ):
        raise PointsError(
            "invalid_quantity",
            _("The quantity must be a whole number from 1 to %(max)d.") % {"max": MAX_QUANTITY},
        )
    return quantity


def _same_order(redemption: Redemption, account: Account, item: ShopItem, quantity: int):
    if (redemption.account_id, redemption.item_id, redemption.quantity) != (
        account.pk,
        item.pk,
        quantity,
    ):
        raise _conflict()
    return redemption


@transaction.atomic
def redemption_order(
    *, holder: Holder, item: ShopItem, quantity: int = 1, actor: User | None, idempotency_key: str
) -> Redemption:
    """Order ``quantity`` of ``item``: hold the points and reserve the stock."""
    quantity = _check_quantity(quantity)
    key = _check_key(idempotency_key)
    account = account_for(holder)
    if actor is not None and not rules.can_order(actor, account):
        raise _forbidden()

    def find() -> Redemption | None:
        found = Redemption.objects.filter(idempotency_key=key).first()
        return _same_order(found, account, item, quantity) if found is not None else None

    existing = find()
    if existing is not None:
        return existing
    if item.community_id != account.community_id:
        raise PointsError("other_community", _("This item is in another community's shop."))
    hold = system_account(account.community_id, AccountKind.HOLD)

    def create() -> Redemption:
        _lock(account, hold)
        # A racing retry with the same key may have committed while we waited for the lock.
        again = find()
        if again is not None:
            return again
        fresh = ShopItem.objects.filter(pk=item.pk).first()
        if fresh is None:
            raise PointsError("unknown_item", _("There is no such item in the shop."))
        if not fresh.active:
            raise PointsError("inactive_item", _("%(item)s is not on sale.") % {"item": fresh})
        if fresh.per_person_limit is not None:
            had = (
                Redemption.objects.filter(
                    account=account, item=fresh, status__in=COUNTED_STATUSES
                ).aggregate(n=Sum("quantity"))["n"]
                or 0
            )
            if had + quantity > fresh.per_person_limit:
                raise PointsError(
                    "over_limit",
                    _("Each person may have at most %(limit)d of %(item)s (already %(had)d).")
                    % {"limit": fresh.per_person_limit, "item": fresh, "had": had},
                )
        total = fresh.price * quantity
        reserved = ShopItem.objects.filter(pk=fresh.pk, active=True, stock__gte=quantity).update(
            stock=F("stock") - quantity
        )
        if not reserved:
            raise PointsError("out_of_stock", _("%(item)s is out of stock.") % {"item": fresh})
        now = timezone.now()
        journal = _post(
            kind=JournalKind.REDEEM_HOLD,
            community_id=account.community_id,
            key=f"redemption:{key}",
            request_hash=_hash(kind="hold", key=key),
            legs=[(account, -total), (hold, total)],
            reason=_("Order: %(item)s × %(n)d") % {"item": fresh.name, "n": quantity},
            source=f"redemption:{key}",
            actor=actor,
            effective_at=now,
        )
        _take_from_lots(account, total, journal)
        return Redemption.objects.create(
            account=account,
            item=fresh,
            quantity=quantity,
            unit_price=fresh.price,
            points=total,
            idempotency_key=key,
            hold_journal=journal,
            ordered_at=now,
            expires_at=now + dt.timedelta(days=fresh.pickup_days),
            ordered_by=acting_user(actor),
        )

    return _once(key, find, create)


def _locked_held(redemption: Redemption, verb: str) -> Redemption:
    held = locked(redemption)
    if held.status != RedemptionStatus.HELD:
        raise PointsError(
            "bad_state",
            _("An order that is %(status)s cannot be %(verb)s.")
            % {"status": held.get_status_display(), "verb": verb},
        )
    return held


def _settle(
    redemption: Redemption, *, status: str, legs, kind, reason, actor: User | None, now
) -> Redemption:
    journal = _post(
        kind=kind,
        community_id=redemption.account.community_id,
        key=f"redemption:{redemption.idempotency_key}:settle",
        request_hash=_hash(kind=kind, redemption=redemption.pk),
        legs=legs,
        reason=reason,
        source=f"redemption:{redemption.idempotency_key}",
        actor=actor,
        effective_at=now,
    )
    redemption.status = status
    redemption.settle_journal = journal
    redemption.resolved_at = now
    redemption.resolved_by = acting_user(actor)
    redemption.save(
        update_fields=["status", "settle_journal", "resolved_at", "resolved_by", "note"]
    )
    return redemption


@transaction.atomic
def redemption_fulfil(*, redemption: Redemption, actor: User | None) -> Redemption:
    """Pickup: the held points are spent (hold → store)."""
    if actor is not None and not rules.can_run_shop(actor, redemption.account.community_id):
        raise _forbidden()
    redemption = _locked_held(redemption, _("picked up"))
    community_id = redemption.account.community_id
    return _settle(
        redemption,
        status=RedemptionStatus.FULFILLED,
        legs=[
            (system_account(community_id, AccountKind.HOLD), -redemption.points),
            (system_account(community_id, AccountKind.STORE), redemption.points),
        ],
        kind=JournalKind.REDEEM_POST,
        reason=_("Picked up: %(item)s × %(n)d")
        % {"item": redemption.item.name, "n": redemption.quantity},
        actor=actor,
        now=timezone.now(),
    )


MAX_BATCH = 100


@transaction.atomic
def redemptions_fulfil_many(*, redemptions: list[Redemption], actor: User) -> list[Redemption]:
    """Hand over several orders at once (the pickup desk's batch), each through
    ``redemption_fulfil``. All or nothing: the first order that cannot be handed over refuses
    the whole batch, with its number in the message."""
    if not redemptions:
        raise PointsError("nothing_chosen", _("Choose the orders to hand over."))
    if len(redemptions) > MAX_BATCH:
        raise PointsError(
            "too_many", _("Hand over at most %(n)d orders at once.") % {"n": MAX_BATCH}
        )
    done = []
    for redemption in sorted({r.pk: r for r in redemptions}.values(), key=lambda r: r.pk):
        try:
            done.append(redemption_fulfil(redemption=redemption, actor=actor))
        except PointsError as exc:
            raise PointsError(
                exc.code,
                _("Order #%(id)d: %(message)s Nothing was handed over.")
                % {"id": redemption.pk, "message": exc.message},
            ) from None
    return done


def _release(redemption: Redemption, *, status, actor: User | None, reason: str, now) -> Redemption:
    account = redemption.account
    redemption.note = reason[:200]
    _settle(
        redemption,
        status=status,
        legs=[
            (system_account(account.community_id, AccountKind.HOLD), -redemption.points),
            (account, redemption.points),
        ],
        kind=JournalKind.REDEEM_VOID,
        reason=_("Released: %(item)s × %(n)d")
        % {"item": redemption.item.name, "n": redemption.quantity},
        actor=actor,
        now=now,
    )
    # The points go back to the lots they came from (an expired lot lapses at the next sweep).
    for use in LotUse.objects.filter(journal_id=redemption.hold_journal_id).select_related("lot"):
        PointLot.objects.filter(pk=use.lot_id).update(remaining=F("remaining") + use.amount)
    ShopItem.objects.filter(pk=redemption.item_id).update(stock=F("stock") + redemption.quantity)
    return redemption


@transaction.atomic
def redemption_cancel(
    *, redemption: Redemption, actor: User | None, reason: str = ""
) -> Redemption:
    """Cancel an order awaiting pickup: the points and the stock come back."""
    if actor is not None and not rules.can_cancel(actor, redemption.account):
        raise _forbidden()
    redemption = _locked_held(redemption, _("cancelled"))
    return _release(
        redemption,
        status=RedemptionStatus.CANCELLED,
        actor=actor,
        reason=(reason or "").strip(),
        now=timezone.now(),
    )


def redemptions_expire(*, now: dt.datetime | None = None) -> int:
    """Release every order not picked up by its deadline; returns how many (once each)."""
    now = now or timezone.now()
    released = 0
    due = Redemption.objects.filter(status=RedemptionStatus.HELD, expires_at__lt=now)
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            redemption = due.select_for_update().filter(pk=pk).select_related("account").first()
            if redemption is None:
                continue
            _release(
                redemption,
                status=RedemptionStatus.EXPIRED,
                actor=None,
                reason=_("Not picked up in time"),
                now=now,
            )
            released += 1
    return released

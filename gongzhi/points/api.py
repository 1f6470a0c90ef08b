"""Points and the shop over the API (/api/v1/points/…).

Reads go through ``selectors`` (scope from ``rules.py``); every change calls one service. A
refused change is the service's ``PointsError`` as JSON: 403 ``forbidden``; 409
``bad_state``, ``insufficient``, ``out_of_stock``, ``over_limit``, ``idempotency_conflict``;
400 the rest.
"""

import datetime as dt
from collections.abc import Callable

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, responses

from gongzhi.core.apischema import (
    PLACE_HELP,
    REFUSED,
    ApiError,
    ErrorOut,
    Page,
    PageIn,
    get_or_404,
    paginate,
    parse_place,
)
from gongzhi.points import selectors, services
from gongzhi.points.models import Redemption, RedemptionStatus

router = Router(tags=["points"])


class BalanceOut(Schema):
    account_id: int | None = Field(description="Null until you have earned points")
    holder: str
    balance: int


class PostingOut(Schema):
    journal_id: int
    kind: str
    kind_label: str
    amount: int = Field(description="Points added to the account (negative: taken away)")
    balance_after: int
    reason: str
    effective_at: dt.datetime
    reversed: bool = Field(description="True when a later reversal journal undid this one")


class JournalOut(Schema):
    id: int
    kind: str
    amount: int
    reason: str
    source: str
    effective_at: dt.datetime
    reverses_id: int | None
    reversed_by_id: int | None


class ShopItemOut(Schema):
    id: int
    name: str
    description: str
    price: int
    stock: int
    per_person_limit: int | None
    pickup_days: int
    active: bool
    community: str


class RedemptionOut(Schema):
    id: int
    item_id: int
    item: str
    holder: str
    quantity: int
    points: int
    status: str
    status_label: str
    ordered_at: dt.datetime
    expires_at: dt.datetime
    resolved_at: dt.datetime | None


class ShopOrderIn(Schema):
    item_id: int
    quantity: int = Field(1, ge=1, le=services.MAX_QUANTITY)
    idempotency_key: str = Field(
        min_length=1, max_length=120, description="Generate once per order; reuse it on retry"
    )
    account_id: int | None = Field(
        None, description="Staff only: order for this person's account (default: yourself)"
    )


class FulfilManyIn(Schema):
    ids: list[int] = Field(
        min_length=1, max_length=services.MAX_BATCH, description="Orders awaiting pickup"
    )


class CancelIn(Schema):
    reason: str = Field("", max_length=200)


class PlaceFilter(Schema):
    place: str | None = Field(None, description=PLACE_HELP)


class RedemptionFilters(PlaceFilter):
    status: RedemptionStatus | None = None
    mine: bool = Field(False, description="Only your own orders")


def _redemption_out(row: Redemption) -> dict:
    return {
        "id": row.pk,
        "item_id": row.item_id,
        "item": row.item.name,
        "holder": row.account.holder_name,
        "quantity": row.quantity,
        "points": row.points,
        "status": row.status,
        "status_label": row.get_status_display(),
        "ordered_at": row.ordered_at,
        "expires_at": row.expires_at,
        "resolved_at": row.resolved_at,
    }


@router.get("/balance", response=BalanceOut, summary="Your balance")
def balance(request):
    account = selectors.account_for_user(request.auth)
    holder = selectors.holder_of(request.auth)
    return {
        "account_id": account.pk if account else None,
        "holder": holder.name if holder is not None else "",
        "balance": account.balance if account else 0,
    }


@router.get("/history", response=Page[PostingOut], summary="Your postings, newest first")
def history(request, paging: Query[PageIn]):
    account = selectors.account_for_user(request.auth)
    if account is None:
        return {"count": 0, "page": paging.page, "page_size": paging.page_size, "results": []}
    page = paginate(selectors.postings_of(account), paging)
    page["results"] = [
        {
            "journal_id": p.journal_id,
            "kind": p.journal.kind,
            "kind_label": p.journal.get_kind_display(),
            "amount": p.amount,
            "balance_after": p.balance_after,
            "reason": p.journal.reason,
            "effective_at": p.journal.effective_at,
            "reversed": hasattr(p.journal, "reversed_by"),
        }
        for p in page["results"]
    ]
    return page


@router.get(
    "/journals",
    response={200: Page[JournalOut], 400: ErrorOut},
    summary="Journals of the accounts you may see",
)
def journals(request, paging: Query[PageIn], filters: Query[PlaceFilter]):
    page = paginate(selectors.journal_list(request.auth, place=parse_place(filters.place)), paging)
    page["results"] = [
        {
            **{f: getattr(j, f) for f in ("id", "kind", "amount", "reason", "source")},
            "effective_at": j.effective_at,
            "reverses_id": j.reverses_id,
            "reversed_by_id": getattr(getattr(j, "reversed_by", None), "pk", None),
        }
        for j in page["results"]
    ]
    return page


@router.get("/items", response={200: Page[ShopItemOut], 400: ErrorOut}, summary="Shop items")
def items(request, paging: Query[PageIn], filters: Query[PlaceFilter]):
    page = paginate(selectors.item_list(request.auth, place=parse_place(filters.place)), paging)
    page["results"] = [
        {
            **{f: getattr(i, f) for f in ShopItemOut.model_fields if f != "community"},
            "community": i.community.name,
        }
        for i in page["results"]
    ]
    return page


@router.get(
    "/redemptions", response={200: Page[RedemptionOut], 400: ErrorOut}, summary="Shop orders"
)
def redemptions(request, paging: Query[PageIn], filters: Query[RedemptionFilters]):
    qs = selectors.redemption_list(
        request.auth,
        place=parse_place(filters.place),
        status=filters.status or "",
        mine=filters.mine,
    )
    page = paginate(qs, paging)
    page["results"] = [_redemption_out(row) for row in page["results"]]
    return page


@router.post(
    "/redemptions",
    response={200: RedemptionOut, 201: RedemptionOut, **REFUSED},
    summary="Order an item",
    description="201 with the new order; a retry with the same idempotency key answers 200 "
    "with the order the first attempt made (as a retried matter does) and never orders twice.",
)
def order(request, payload: ShopOrderIn):
    user = request.auth
    retried = Redemption.objects.filter(idempotency_key=payload.idempotency_key.strip()).exists()
    item = selectors.item_list(user).filter(pk=payload.item_id).first()
    if item is None:
        raise ApiError(400, "unknown_item", _("There is no such item in the shop."))
    if payload.account_id is not None:
        account = selectors.holder_account(user, payload.account_id)
        if account is None:
            raise ApiError(400, "unknown_account", _("Unknown points account."))
        holder = account.holder
    else:
        holder = selectors.holder_of(user)
        if holder is None:
            raise ApiError(403, "forbidden", _("Only residents and partners have points to spend."))
    redemption = services.redemption_order(
        holder=holder,
        item=item,
        quantity=payload.quantity,
        actor=user,
        idempotency_key=payload.idempotency_key,
    )
    row = selectors.redemption_list(user).get(pk=redemption.pk)
    return responses.Status(200 if retried else 201, _redemption_out(row))


def _resolve(request, redemption_id: int, service: Callable, **kwargs) -> dict:
    user = request.auth
    qs = selectors.redemption_list(user)
    redemption = get_or_404(qs, redemption_id, _("Unknown order."))
    service(redemption=redemption, actor=user, **kwargs)
    return _redemption_out(qs.get(pk=redemption_id))


@router.post(
    "/redemptions/fulfil",
    response={200: list[RedemptionOut], **REFUSED},
    summary="Hand over several orders at once (staff; all or nothing)",
)
def fulfil_many(request, payload: FulfilManyIn):
    user = request.auth
    qs = selectors.redemption_list(user)
    chosen = list(qs.filter(pk__in=payload.ids))
    if len(chosen) != len(set(payload.ids)):
        raise ApiError(404, "not_found", _("Unknown order."))
    services.redemptions_fulfil_many(redemptions=chosen, actor=user)
    return [_redemption_out(row) for row in qs.filter(pk__in=payload.ids).order_by("pk")]


@router.post(
    "/redemptions/{int:redemption_id}/fulfil",
    response={200: RedemptionOut, **REFUSED},
    summary="Hand the item over at pickup (staff)",
)
def fulfil(request, redemption_id: int):
    return _resolve(request, redemption_id, services.redemption_fulfil)


@router.post(
    "/redemptions/{int:redemption_id}/cancel",
    response={200: RedemptionOut, **REFUSED},
    summary="Cancel an order awaiting pickup (its holder or staff)",
)
def cancel(request, redemption_id: int, payload: CancelIn):
    return _resolve(request, redemption_id, services.redemption_cancel, reason=payload.reason)

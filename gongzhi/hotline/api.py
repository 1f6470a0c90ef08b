"""The hotline over the API (/api/v1/hotline), see docs/hotline.md.

Two kinds of caller:

* the hotline's gateway — ``POST /orders``, ``POST /orders/{order_no}/callback`` and
  ``POST /orders/{order_no}/extension-decision`` — sends
  ``X-Hotline-Key: <key>`` (``gongzhi create_hotline_credential`` or the credentials page).
  Every call is recorded (``GatewayCall``), refused ones too, and limited per key and minute;
* staff (session or bearer token) list the orders, answer them (sign, reply, return, extend)
  and manage the gateway credentials of their community.

Errors are ``{"code", "message"}`` with the service's stable code.
"""

import datetime as dt
from collections.abc import Callable

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ValidationError

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
from gongzhi.core.services import ServiceError
from gongzhi.hotline import rules, selectors, services
from gongzhi.hotline.models import GatewayCredential, HotlineOrder, OrderStatus
from gongzhi.places.models import Community

router = Router(tags=["hotline"])

KEY_HEADER = "X-Hotline-Key"


# ---- schemas --------------------------------------------------------------------------------


class OrderIn(Schema):
    order_no: str = Field(description="The hotline's order number (工单编号), unique per hotline")
    kind: str = Field(description="咨询/求助/投诉/举报/建议/表扬 or consult/help/complaint/…")
    text: str = Field(description="The demand (诉求内容)")
    address: str = ""
    caller_name: str = ""
    caller_phone: str = Field("", description="Personal data: stored encrypted, shown masked")
    dispatching_unit: str = ""
    dispatched_at: dt.datetime | None = None
    urgency: str = Field("normal", description="紧急/一般 or urgent/normal")
    hotline_category: str = Field("", description="The hotline's own category (热线分类)")


class CallbackIn(Schema):
    satisfaction: str = Field(description="satisfied, basic or dissatisfied (满意/基本满意/不满意)")
    solved: bool | None = None
    note: str = ""


class ExtensionDecisionIn(Schema):
    approved: bool
    new_due: dt.datetime | None = Field(None, description="The new reply deadline, if approved")
    note: str = ""


class OrderOut(Schema):
    id: int
    hotline: str
    order_no: str
    matter_id: int
    kind: str
    urgency: str
    hotline_category: str
    dispatching_unit: str
    status: str
    status_label: str
    place: str
    caller_phone: str = Field(description="Masked")
    sign_due_at: dt.datetime
    reply_due_at: dt.datetime
    requested_due_at: dt.datetime | None
    callback_satisfaction: str

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_place(obj) -> str:
        matter = obj.matter
        return str(matter.building or matter.compound or obj.community.name)

    @staticmethod
    def resolve_caller_phone(obj) -> str:
        return obj.caller_phone_masked


class ReceivedOut(Schema):
    order_no: str
    hotline: str
    status: str
    created: bool = Field(description="False when the same order had been received before")
    sign_due_at: dt.datetime
    reply_due_at: dt.datetime


class ListIn(PageIn):
    place: str | None = Field(None, description=PLACE_HELP)
    status: str = Field("", description="received, signed, extension_requested, replied, …")


class ReplyIn(Schema):
    text: str = ""


class ReasonIn(Schema):
    reason: str = ""


class ExtendIn(Schema):
    new_due: dt.datetime
    reason: str = ""


class CredentialIn(Schema):
    name: str
    community_id: int | None = Field(None, description="Superusers only; staff use their own")
    hotline: str = "12345"


class CredentialOut(Schema):
    id: int
    name: str
    hotline: str
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class NewCredentialOut(CredentialOut):
    key: str = Field(description="Shown once: only its digest is stored")


# ---- the gateway ----------------------------------------------------------------------------


def _gateway(request, endpoint: str, seen: dict, work: Callable) -> tuple[int, object]:
    """Authenticate the key, apply the rate limit, run ``work(credential)`` and record the
    call whatever happens (with the order number ``work`` put in ``seen``)."""
    credential = services.credential_for_key(request.headers.get(KEY_HEADER, ""))
    status, code = 200, ""
    try:
        if credential is None:
            raise ApiError(
                401, "unauthenticated", _("Send a valid, unrevoked key in X-Hotline-Key.")
            )
        if services.over_rate_limit(credential):
            raise ApiError(429, "rate_limited", _("Too many calls; please wait a minute."))
        status, answer = work(credential)
        return status, answer
    except ApiError as exc:
        status, code = exc.status_code, exc.code
        raise
    except ServiceError as exc:
        status, code = exc.status, exc.code
        raise
    finally:
        services.call_record(
            credential=credential,
            endpoint=endpoint,
            status=status,
            code=code,
            order_no=seen.get("order_no", ""),
        )


def _parse(schema, request):
    try:
        return schema.model_validate_json(request.body or b"{}")
    except ValidationError:
        message = _("The request is not valid JSON of the documented form.")
        raise ApiError(422, "invalid", message) from None


@router.post(
    "/orders",
    auth=None,
    response={200: ReceivedOut, 201: ReceivedOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut}
    | REFUSED,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": OrderIn.model_json_schema()}},
            "required": True,
        }
    },
)
def receive_order(request):
    """A gateway delivers an order (header X-Hotline-Key). 201 when new, 200 when the same
    order was received before; 409 ``order_conflict`` when its number was used for other
    content."""
    seen: dict = {}

    def work(credential):
        body = _parse(OrderIn, request)
        seen["order_no"] = body.order_no
        order, created = services.order_receive(
            community=credential.community,
            data=services.OrderIn(**body.dict(), hotline=credential.hotline),
        )
        return (201 if created else 200), _received(order, created)

    return _gateway(request, "orders", seen, work)


def _gateway_order(credential, order_no: str) -> HotlineOrder:
    """The credential's order of that number (its hotline, its community), or 404."""
    order = HotlineOrder.objects.filter(
        hotline=credential.hotline, order_no=order_no, community=credential.community
    ).first()
    if order is None:
        raise ApiError(404, "unknown_order", _("There is no order %(no)s.") % {"no": order_no})
    return order


def _received(order: HotlineOrder, created: bool = False) -> dict:
    return {
        "order_no": order.order_no,
        "hotline": order.hotline,
        "status": order.status,
        "created": created,
        "sign_due_at": order.sign_due_at,
        "reply_due_at": order.reply_due_at,
    }


@router.post(
    "/orders/{order_no}/callback",
    auth=None,
    response={200: ReceivedOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut} | REFUSED,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": CallbackIn.model_json_schema()}},
            "required": True,
        }
    },
)
def callback(request, order_no: str):
    """The hotline's callback result (回访) for an order the community replied to."""

    def work(credential):
        body = _parse(CallbackIn, request)
        order = _gateway_order(credential, order_no)
        order, _changed = services.order_callback(
            order=order, satisfaction=body.satisfaction, solved=body.solved, note=body.note
        )
        return 200, _received(order)

    return _gateway(request, "callback", {"order_no": order_no}, work)


@router.post(
    "/orders/{order_no}/extension-decision",
    auth=None,
    response={200: ReceivedOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut} | REFUSED,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": ExtensionDecisionIn.model_json_schema()}},
            "required": True,
        }
    },
)
def extension_decision(request, order_no: str):
    """The hotline grants (with the new reply deadline) or refuses a pending extension
    request; 409 ``no_extension_pending`` when the order has none."""

    def work(credential):
        body = _parse(ExtensionDecisionIn, request)
        order = _gateway_order(credential, order_no)
        order = services.order_extension_decide(
            order=order, approved=body.approved, new_due=body.new_due, note=body.note
        )
        return 200, _received(order)

    return _gateway(request, "extension-decision", {"order_no": order_no}, work)


# ---- staff ----------------------------------------------------------------------------------


def _require_viewer(request) -> None:
    if not rules.can_view_orders(request.user):
        raise ApiError(403, "forbidden", _("Hotline orders are for community staff."))


@router.get("/orders", response={200: Page[OrderOut], 403: ErrorOut, 400: ErrorOut})
def list_orders(request, filters: Query[ListIn]):
    _require_viewer(request)
    if filters.status and filters.status not in OrderStatus.values:
        raise ApiError(400, "bad_status", _("Unknown order status."))
    qs = selectors.order_list(request.user, place=parse_place(filters.place), status=filters.status)
    return paginate(qs, filters)


def _order(request, order_id: int) -> HotlineOrder:
    _require_viewer(request)
    qs = rules.orders_visible(request.user, HotlineOrder.objects.select_related("matter"))
    return get_or_404(qs, order_id, _("There is no such order."))


@router.post("/orders/{order_id}/sign", response={200: OrderOut} | REFUSED)
def sign(request, order_id: int):
    """签收 the order (its matter is acknowledged too)."""
    order = _order(request, order_id)
    return services.order_sign(actor=request.user, order=order)


@router.post("/orders/{order_id}/reply", response={200: OrderOut} | REFUSED)
def reply(request, order_id: int, payload: ReplyIn):
    """办结回复: needs the order signed, and a text unless the matter is done."""
    order = _order(request, order_id)
    return services.order_reply(actor=request.user, order=order, text=payload.text)


@router.post("/orders/{order_id}/return", response={200: OrderOut} | REFUSED)
def return_order(request, order_id: int, payload: ReasonIn):
    """退单 with a reason; the matter is referred back to the dispatching unit."""
    order = _order(request, order_id)
    return services.order_return(actor=request.user, order=order, reason=payload.reason)


@router.post("/orders/{order_id}/extend", response={200: OrderOut} | REFUSED)
def extend(request, order_id: int, payload: ExtendIn):
    """延期申请: a later reply date and why."""
    order = _order(request, order_id)
    return services.order_extend(
        actor=request.user,
        order=order,
        new_due=payload.new_due,
        reason=payload.reason,
    )


def _credential_community(request, community_id: int | None) -> Community:
    if request.user.is_superuser and community_id is not None:
        return get_object_or_404(Community, pk=community_id)
    own = rules.credential_community_id(request.user)
    if own is None:
        raise ApiError(403, "forbidden", _("You may not manage this community's gateways."))
    return Community.objects.get(pk=own)


@router.get("/credentials", response={200: list[CredentialOut], 403: ErrorOut})
def list_credentials(request, community_id: int | None = None):
    community = _credential_community(request, community_id)
    return list(selectors.credentials_of(community.pk))


@router.post("/credentials", response={201: NewCredentialOut} | REFUSED)
def create_credential(request, payload: CredentialIn):
    community = _credential_community(request, payload.community_id)
    credential, raw = services.credential_create(
        actor=request.user,
        community=community,
        name=payload.name,
        hotline=payload.hotline,
    )
    credential.key = raw
    return 201, credential


@router.post("/credentials/{credential_id}/revoke", response={200: CredentialOut} | REFUSED)
def revoke_credential(request, credential_id: int):
    credential = GatewayCredential.objects.filter(pk=credential_id).first()
    if credential is None or not rules.can_manage_credentials(
        request.user, credential.community_id
    ):
        raise ApiError(404, "not_found", _("There is no such credential."))
    return services.credential_revoke(actor=request.user, credential=credential)

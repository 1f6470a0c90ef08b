"""Every write to hotline orders: intake, one function per transition, the callback,
gateway credentials and the record of gateway calls (docs/hotline.md).

Each transition locks the order, checks the allowed source statuses (``models.SOURCES``),
saves with ``update_fields``, appends an ``OrderEvent`` and queues the answer to the hotline as
an ``OutboundAction`` in the same transaction — so an action that is rolled back sends nothing,
and nothing is sent before the action commits. Errors are ``HotlineError`` with a stable
``code`` and a translated message; nothing is written when one is raised.
"""

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.scope import Actor
from gongzhi.core.identity import normalize_phone
from gongzhi.core.services import ServiceError, Transitions, acting_user, now_or
from gongzhi.hotline import deadlines, rules
from gongzhi.hotline.models import (
    DEFAULT_HOTLINE,
    SOURCES,
    Adapter,
    DemandKind,
    GatewayCall,
    GatewayCredential,
    HotlineOrder,
    OrderEvent,
    OrderStatus,
    OutboundAction,
    Urgency,
)
from gongzhi.matters import services as matter_services
from gongzhi.matters.models import MAX_TEXT_LENGTH, Channel, Priority, Satisfaction, Status
from gongzhi.matters.models import SOURCES as MATTER_SOURCES
from gongzhi.places.models import Building, Community, Compound


class HotlineError(ServiceError):
    """A refused write (``core.services.ServiceError``); the status is given where it is
    raised when it is not 400, or in ``statuses``."""

    COMMON = {}  # every status is given at the raise site (as before the shared toolkit)
    statuses = {"bad_state": 409}


def _forbidden() -> HotlineError:
    return HotlineError("forbidden", _("You may not answer this hotline order."), 403)


def _on_matter(service: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a matters service; its refusal becomes ours, with the same code and message."""
    try:
        return service(**kwargs)
    except matter_services.MatterError as exc:
        status = 403 if exc.code == "forbidden" else 409 if exc.code == "bad_state" else 400
        raise HotlineError(exc.code, exc.message, status) from None


# ---- intake ---------------------------------------------------------------------------------

# The hotline's words for a kind of demand and for urgency, as they appear in its files.
KIND_WORDS = {
    "咨询": DemandKind.CONSULT,
    "求助": DemandKind.HELP,
    "投诉": DemandKind.COMPLAINT,
    "举报": DemandKind.REPORT,
    "建议": DemandKind.SUGGESTION,
    "表扬": DemandKind.PRAISE,
}
URGENCY_WORDS = {
    "紧急": Urgency.URGENT,
    "加急": Urgency.URGENT,
    "特急": Urgency.URGENT,
    "一般": Urgency.NORMAL,
    "普通": Urgency.NORMAL,
    "": Urgency.NORMAL,
}
SATISFACTION_WORDS = {
    "满意": Satisfaction.SATISFIED,
    "基本满意": Satisfaction.BASIC,
    "不满意": Satisfaction.DISSATISFIED,
}
ORDER_NO_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def parse_kind(value: str) -> str:
    value = (value or "").strip()
    kind = KIND_WORDS.get(value) or (value if value in DemandKind.values else None)
    if kind is None:
        raise HotlineError(
            "invalid_kind",
            _("Unknown kind of demand “%(value)s”: write 咨询, 求助, 投诉, 举报, 建议 or 表扬.")
            % {"value": value},
        )
    return kind


def parse_urgency(value: str) -> str:
    value = (value or "").strip()
    urgency = URGENCY_WORDS.get(value) or (value if value in Urgency.values else None)
    if urgency is None:
        raise HotlineError(
            "invalid_urgency",
            _("Unknown urgency “%(value)s”: write 紧急 or 一般.") % {"value": value},
        )
    return urgency


def parse_satisfaction(value: str) -> str:
    value = (value or "").strip()
    found = SATISFACTION_WORDS.get(value) or (value if value in Satisfaction.values else None)
    if found is None:
        raise HotlineError(
            "invalid_satisfaction",
            _("Unknown satisfaction “%(value)s”: write 满意, 基本满意 or 不满意.")
            % {"value": value},
        )
    return found


@dataclass(frozen=True)
class OrderIn:
    """An order as the hotline sends it, whichever way it comes (API or spreadsheet)."""

    order_no: str
    kind: str
    text: str
    address: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    dispatching_unit: str = ""
    dispatched_at: dt.datetime | None = None
    urgency: str = Urgency.NORMAL
    hotline_category: str = ""
    hotline: str = DEFAULT_HOTLINE

    def digest(self, community_id: int) -> str:
        """The order's content, to tell a repeated delivery from a reused order number."""
        content = {**asdict(self), "community": community_id}
        content["dispatched_at"] = self.dispatched_at.isoformat() if self.dispatched_at else ""
        raw = json.dumps(content, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()


def clean_order(data: OrderIn) -> OrderIn:
    """The order with its fields checked and normalised; ``HotlineError`` names the field."""
    order_no = data.order_no.strip()
    if not ORDER_NO_RE.match(order_no):
        raise HotlineError(
            "invalid_order_no",
            _("The order number must be 1 to 64 letters, digits, “-” or “_”."),
        )
    text = data.text.strip()
    if not text:
        raise HotlineError("invalid_text", _("The order has no content (诉求内容)."))
    phone = data.caller_phone.strip()
    if phone:
        phone = normalize_phone(phone)
        if not re.fullmatch(r"[0-9+\-]{5,20}", phone):
            raise HotlineError("invalid_phone", _("The caller's phone number is not valid."))
    return OrderIn(
        order_no=order_no,
        kind=parse_kind(data.kind),
        text=text,
        address=data.address.strip()[:200],
        caller_name=data.caller_name.strip()[:40],
        caller_phone=phone,
        dispatching_unit=data.dispatching_unit.strip()[:100],
        dispatched_at=data.dispatched_at,
        urgency=parse_urgency(data.urgency),
        hotline_category=data.hotline_category.strip()[:100],
        hotline=(data.hotline or DEFAULT_HOTLINE).strip()[:16],
    )


_BUILDING_RE = re.compile(r"(\d+)\s*(?:栋|幢|号楼|#楼|#)")


def match_place(community: Community, address: str) -> dict:
    """The most specific place of ``community`` that ``address`` names (docs/hotline.md).

    A compound matches when its name appears in the address (the longest name wins, so
    "锦绣园二期" beats "锦绣园"); a building of that compound when the text after the
    compound's name holds "N栋" (also 幢, 号楼, #) and the compound has a building named
    "N栋" or numbered N. Without a compound the order stays at the community level.
    """
    compounds = sorted(
        Compound.objects.filter(community=community), key=lambda c: len(c.name), reverse=True
    )
    compound = next((c for c in compounds if c.name and c.name in address), None)
    if compound is None:
        return matter_services.resolve_place(community=community)
    rest = address.split(compound.name, 1)[1]
    match = _BUILDING_RE.search(rest)
    building = None
    if match:
        number = int(match.group(1))
        candidates = Building.objects.filter(compound=compound)
        building = candidates.filter(name=f"{number}栋").first() or (
            candidates.filter(number=number).first()
        )
    if building is not None:
        return matter_services.resolve_place(building=building)
    return matter_services.resolve_place(compound=compound)


def _matter_text(data: OrderIn, place: dict) -> str:
    """The matter's text: the demand, and the address wherever it did not name a building."""
    suffix = ""
    if data.address and place["building"] is None:
        suffix = "\n" + _("Address given by the hotline: %(address)s") % {"address": data.address}
    head = f"【{data.hotline}-{data.order_no}】"
    room = MAX_TEXT_LENGTH - len(head) - len(suffix)
    return head + data.text[:room] + suffix


def _existing(data: OrderIn) -> HotlineOrder | None:
    return HotlineOrder.objects.filter(hotline=data.hotline, order_no=data.order_no).first()


def conflict_error(data: OrderIn) -> HotlineError:
    return HotlineError(
        "order_conflict",
        _(
            "Order %(no)s was already received with different content; a changed order needs a "
            "new order number."
        )
        % {"no": data.order_no},
        409,
    )


@transaction.atomic
def order_receive(
    *,
    community: Community,
    data: OrderIn,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> tuple[HotlineOrder, bool]:
    """Take in an order: (the order, whether it is new).

    The same order delivered again changes nothing; the same number with other content is
    refused. A new order becomes a matter through ``matter_submit`` (classified and routed like
    any matter; the hotline's own category stays on the order). ``actor`` is the staff member
    who imports it, or None for the gateway and management commands.
    """
    data = clean_order(data)
    digest = data.digest(community.pk)
    existing = _existing(data)
    if existing is not None:
        if existing.content_digest != digest:
            raise conflict_error(data)
        return existing, False
    now = now_or(now)
    place = match_place(community, data.address)
    matter = _on_matter(
        matter_services.matter_submit,
        actor=actor,
        text=_matter_text(data, place),
        channel=Channel.ONLINE_PHONE,
        place=place,
        reporter_name=data.caller_name or _("12345 caller"),
        priority=Priority.URGENT if data.urgency == Urgency.URGENT else Priority.NORMAL,
        now=now,
    )
    # Deadlines run from the hotline's dispatch; a file without a dispatch time, or one in the
    # future (a wrong clock), starts them when Gongzhi receives the order.
    start = data.dispatched_at if data.dispatched_at and data.dispatched_at <= now else now
    sign_due, reply_due = deadlines.compute(kind=data.kind, urgency=data.urgency, start=start)
    order = HotlineOrder.objects.create(
        matter=matter,
        community=community,
        hotline=data.hotline,
        order_no=data.order_no,
        kind=data.kind,
        hotline_category=data.hotline_category,
        urgency=data.urgency,
        dispatching_unit=data.dispatching_unit,
        address=data.address,
        caller_name=data.caller_name,
        caller_phone=data.caller_phone,
        dispatched_at=start,
        received_at=now,
        sign_due_at=sign_due,
        reply_due_at=reply_due,
        content_digest=digest,
    )
    flow.record(order, actor=actor, action="receive", now=now, data={"matter": matter.pk})
    return order, True


# ---- transitions ------------------------------------------------------------------------------


# An order is locked with its matter, which most answers read.
flow = Transitions(
    HotlineOrder,
    OrderEvent,
    "order",
    error=HotlineError,
    bad_state=gettext_lazy("An order that is “%(status)s” cannot be %(verb)s."),
    related=("matter",),
    lock_related=True,
)


def _enqueue(order: HotlineOrder, *, action: str, now: dt.datetime, **fields) -> OutboundAction:
    """Queue the answer; the documented JSON body is built here once for every adapter."""
    payload = {
        "hotline": order.hotline,
        "order_no": order.order_no,
        "action": action,
        "at": now.isoformat(),
        "text": fields.get("text", ""),
        "reason": fields.get("reason", ""),
        "new_due": fields["new_due"].isoformat() if fields.get("new_due") else None,
    }
    adapter = settings.GONGZHI_HOTLINE_ADAPTER
    if adapter not in Adapter.values:
        raise HotlineError("bad_adapter", _("The hotline adapter is not configured."), 500)
    return OutboundAction.objects.create(
        order=order,
        action=action,
        payload=payload,
        adapter=adapter,
        urgent=order.urgency == Urgency.URGENT,
        next_try_at=now,
    )


def _move(
    order: HotlineOrder,
    *,
    to: str,
    actor: Any,
    action: str,
    verb: str,
    now: dt.datetime,
    note: str = "",
    data: dict | None = None,
    fields: Iterable[str] = (),
    send: dict | None = None,
) -> HotlineOrder:
    """The toolkit's move from the statuses ``SOURCES[action]``; with ``send``, the answer to
    the hotline is queued in the same transaction."""
    flow.move(
        order,
        to=to,
        allowed=SOURCES[action],
        actor=actor,
        action=action,
        verb=verb,
        now=now,
        note=note,
        data=data,
        fields=fields,
    )
    if send is not None:
        _enqueue(order, action=action, now=now, **send)
    return order


def _answerable(actor: Actor, order: HotlineOrder) -> HotlineOrder:
    order = flow.locked(order)
    if not rules.can_answer(actor, order):
        raise _forbidden()
    return order


@transaction.atomic
def order_sign(
    *, actor: Actor, order: HotlineOrder, now: dt.datetime | None = None
) -> HotlineOrder:
    """签收: the community takes the order; its matter is acknowledged if it was not yet."""
    order = _answerable(actor, order)
    now = now_or(now)
    order.signed_at = now
    _move(
        order,
        to=OrderStatus.SIGNED,
        actor=actor,
        action="sign",
        verb=_("signed"),
        now=now,
        fields=["signed_at"],
        send={},
    )
    if order.matter.status == Status.RECEIVED:
        _on_matter(matter_services.matter_acknowledge, actor=actor, matter=order.matter, now=now)
    return order


def _resolution_note(order: HotlineOrder) -> str:
    """What the matter's handler said was done, for a reply without a text of its own."""
    event = (
        order.matter.events.filter(action__in=("complete", "handle", "handle_on_spot"))
        .exclude(note="")
        .order_by("-at", "-id")
        .first()
    )
    return event.note if event else ""


@transaction.atomic
def order_reply(
    *, actor: Actor, order: HotlineOrder, text: str = "", now: dt.datetime | None = None
) -> HotlineOrder:
    """办结回复: the result, to a signed order. Without a text the matter must be done, and
    what its handler recorded is sent."""
    order = _answerable(actor, order)
    if order.status == OrderStatus.RECEIVED:
        raise HotlineError(
            "not_signed", _("Sign for the order before replying to it (先签收再回复)."), 409
        )
    text = (text or "").strip()
    if not text:
        if order.matter.status not in (Status.DONE, Status.CLOSED):
            raise HotlineError(
                "reply_text_required",
                _("The matter is not done yet: write what was done to reply to the hotline."),
            )
        text = _resolution_note(order) or _("Handled; the matter is done.")
    now = now_or(now)
    order.replied_at = now
    return _move(
        order,
        to=OrderStatus.REPLIED,
        actor=actor,
        action="reply",
        verb=_("replied to"),
        now=now,
        note=text[:2000],
        fields=["replied_at"],
        send={"text": text[:2000]},
    )


@transaction.atomic
def order_return(
    *, actor: Actor, order: HotlineOrder, reason: str, now: dt.datetime | None = None
) -> HotlineOrder:
    """退单: the order is not the community's to handle. Its matter is referred back to the
    hotline, so only an order whose matter nobody has started may be returned."""
    order = _answerable(actor, order)
    reason = (reason or "").strip()
    if not reason:
        raise HotlineError("reason_required", _("Say why the order is returned."))
    if order.status in SOURCES["return"] and order.matter.status not in MATTER_SOURCES["refer"]:
        raise HotlineError(
            "matter_started",
            _("Work on this matter has started: reply to the order instead of returning it."),
            409,
        )
    now = now_or(now)
    _move(
        order,
        to=OrderStatus.RETURNED,
        actor=actor,
        action="return",
        verb=_("returned"),
        now=now,
        note=reason[:1000],
        send={"reason": reason[:1000]},
    )
    _on_matter(
        matter_services.matter_refer,
        actor=actor,
        matter=order.matter,
        to=order.dispatching_unit or _("12345 hotline"),
        reason=reason[:1000],
        now=now,
    )
    return order


@transaction.atomic
def order_extend(
    *,
    actor: Actor,
    order: HotlineOrder,
    new_due: dt.datetime,
    reason: str,
    now: dt.datetime | None = None,
) -> HotlineOrder:
    """延期申请: ask the hotline for a later reply deadline. The deadline on record stays until
    the hotline grants it; the date asked for is kept on the order."""
    order = _answerable(actor, order)
    reason = (reason or "").strip()
    if not reason:
        raise HotlineError("reason_required", _("Say why more time is needed."))
    if new_due is None or new_due <= order.reply_due_at:
        raise HotlineError(
            "invalid_date", _("The new date must be later than the current reply deadline.")
        )
    now = now_or(now)
    order.requested_due_at = new_due
    return _move(
        order,
        to=OrderStatus.EXTENSION_REQUESTED,
        actor=actor,
        action="extend",
        verb=_("extended"),
        now=now,
        note=reason[:1000],
        data={"new_due": new_due.isoformat()},
        fields=["requested_due_at"],
        send={"reason": reason[:1000], "new_due": new_due},
    )


@transaction.atomic
def order_extension_decide(
    *,
    order: HotlineOrder,
    approved: bool,
    new_due: dt.datetime | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> HotlineOrder:
    """The hotline's decision on a pending extension request (延期申请的审批结果).

    Granted, the reply deadline on record becomes ``new_due`` (the hotline may grant less than
    was asked); refused, the deadline stays. Either way the order goes back to the status it
    had before the request, so it is answered as before, and the request is no longer pending.
    The acting party is the hotline, not a user; nothing is sent back.
    """
    order = flow.locked(order)
    action = "extension_grant" if approved else "extension_refuse"
    if order.status not in SOURCES[action]:
        raise HotlineError(
            "no_extension_pending",
            _("This order has no pending extension request to decide on."),
            409,
        )
    if approved and (new_due is None or new_due <= order.reply_due_at):
        raise HotlineError(
            "invalid_date",
            _("A granted extension needs a new reply deadline later than the current one."),
        )
    request = order.events.filter(action="extend").order_by("-at", "-id").first()
    previous = request.from_status if request else OrderStatus.SIGNED
    data = {"asked": order.requested_due_at.isoformat() if order.requested_due_at else None}
    fields = ["requested_due_at"]
    if approved and new_due is not None:  # a grant without a later date was refused above
        data["old_due"] = order.reply_due_at.isoformat()
        data["new_due"] = new_due.isoformat()
        order.reply_due_at = new_due
        fields.append("reply_due_at")
    # The date asked for is in the request's event; the order shows no pending date any more.
    order.requested_due_at = None
    return _move(
        order,
        to=previous,
        actor=None,
        action=action,
        verb=_("decided on"),
        now=now_or(now),
        note=(note or "").strip()[:1000],
        data=data,
        fields=fields,
    )


@transaction.atomic
def order_callback(
    *,
    order: HotlineOrder,
    satisfaction: str,
    solved: bool | None,
    note: str = "",
    now: dt.datetime | None = None,
) -> tuple[HotlineOrder, bool]:
    """回访: the hotline's callback result (order, whether it changed anything).

    It closes the replied order and counts in the three rates through the matter (see
    ``matters.services.matter_hotline_callback``). The same result delivered again changes
    nothing; a different result for a closed order is refused.
    """
    order = flow.locked(order)
    satisfaction = parse_satisfaction(satisfaction)
    note = (note or "").strip()[:1000]
    result = (satisfaction, solved, note)
    if order.status == OrderStatus.CLOSED:
        if (order.callback_satisfaction, order.callback_solved, order.callback_note) == result:
            return order, False
        raise HotlineError(
            "callback_conflict", _("This order already has a different callback result."), 409
        )
    if order.status != OrderStatus.REPLIED:
        raise HotlineError(
            "not_replied",
            _("Only an order the community replied to can have a callback result."),
            409,
        )
    now = now_or(now)
    order.callback_satisfaction, order.callback_solved, order.callback_note = result
    order.callback_at = now
    _move(
        order,
        to=OrderStatus.CLOSED,
        actor=None,
        action="callback",
        verb=_("called back"),
        now=now,
        note=note,
        data={"satisfaction": satisfaction, "solved": solved},
        fields=["callback_satisfaction", "callback_solved", "callback_note", "callback_at"],
    )
    _on_matter(
        matter_services.matter_hotline_callback,
        matter=order.matter,
        satisfaction=satisfaction,
        note=note,
        now=now,
    )
    return order, True


# ---- gateway credentials and calls ----------------------------------------------------------


@transaction.atomic
def credential_create(
    *,
    actor: Actor,
    community: Community,
    name: str,
    hotline: str = DEFAULT_HOTLINE,
    now: dt.datetime | None = None,
) -> tuple[GatewayCredential, str]:
    """A new gateway key: (the credential, the key). The key is shown once, never stored."""
    if not rules.can_manage_credentials(actor, community.pk):
        raise HotlineError("forbidden", _("You may not manage this community's gateways."), 403)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise HotlineError("invalid_name", _("Give the gateway a name of at most 60 characters."))
    raw = "gzh_" + secrets.token_urlsafe(32)
    credential = GatewayCredential.objects.create(
        community=community,
        name=name,
        hotline=(hotline or DEFAULT_HOTLINE).strip()[:16],
        digest=GatewayCredential.hash(raw),
        prefix=raw[:10],
        created_by=acting_user(actor),
        created_at=now_or(now),
    )
    return credential, raw


@transaction.atomic
def credential_revoke(
    *, actor: Actor, credential: GatewayCredential, now: dt.datetime | None = None
) -> GatewayCredential:
    credential = GatewayCredential.objects.select_for_update().get(pk=credential.pk)
    if not rules.can_manage_credentials(actor, credential.community_id):
        raise HotlineError("forbidden", _("You may not manage this community's gateways."), 403)
    if credential.revoked_at is None:
        credential.revoked_at = now_or(now)
        credential.save(update_fields=["revoked_at"])
    return credential


def credential_for_key(raw: str) -> GatewayCredential | None:
    """The active credential of a key, or None (unknown or revoked)."""
    if not raw:
        return None
    return (
        GatewayCredential.objects.select_related("community")
        .filter(digest=GatewayCredential.hash(raw), revoked_at__isnull=True)
        .first()
    )


def over_rate_limit(credential: GatewayCredential, *, now: dt.datetime | None = None) -> bool:
    """More calls in the last minute than ``GONGZHI_HOTLINE_CALLS_PER_MINUTE``."""
    since = now_or(now) - dt.timedelta(minutes=1)
    limit = settings.GONGZHI_HOTLINE_CALLS_PER_MINUTE
    return GatewayCall.objects.filter(credential=credential, at__gte=since).count() >= limit


def call_record(
    *,
    credential: GatewayCredential | None,
    endpoint: str,
    status: int,
    code: str = "",
    order_no: str = "",
    now: dt.datetime | None = None,
) -> None:
    """One row per gateway call, in its own transaction: a refused call is recorded too."""
    now = now_or(now)
    GatewayCall.objects.create(
        credential=credential,
        at=now,
        endpoint=endpoint[:40],
        order_no=order_no[:64],
        status=status,
        code=code[:40],
    )
    if credential is not None:
        GatewayCredential.objects.filter(pk=credential.pk).update(last_used_at=now)

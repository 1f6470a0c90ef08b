"""12345 hotline work orders (接诉即办): an order is a matter with the hotline's data.

An order arrives from the hotline (a gateway's POST or an imported spreadsheet), becomes a
matter through ``matters.services.matter_submit`` and is then answered to the hotline: signed
for (签收), replied to (办结回复), returned (退单) or given more time (延期申请). Each answer is an
``OutboundAction`` row sent later by an adapter (``adapters.py``); the hotline's callback (回访)
comes back in. See docs/hotline.md.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.identity import mask_phone
from gongzhi.core.models import HistoryEvent
from gongzhi.matters.models import Matter, Satisfaction
from gongzhi.places.models import Community

DEFAULT_HOTLINE = "12345"


class DemandKind(models.TextChoices):
    CONSULT = "consult", _("consultation")  # 咨询
    HELP = "help", _("request for help")  # 求助
    COMPLAINT = "complaint", _("complaint")  # 投诉
    REPORT = "report", _("report of wrongdoing")  # 举报
    SUGGESTION = "suggestion", _("suggestion")  # 建议
    PRAISE = "praise", _("praise")  # 表扬


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("received, to sign")
    SIGNED = "signed", _("signed, being handled")
    EXTENSION_REQUESTED = "extension_requested", _("extension requested")
    REPLIED = "replied", _("replied, awaiting callback")
    RETURNED = "returned", _("returned to the hotline")
    CLOSED = "closed", _("closed after the callback")


# The state machine: the statuses each transition may start from (docs/hotline.md).
SOURCES = {
    "sign": (OrderStatus.RECEIVED,),
    "reply": (OrderStatus.SIGNED, OrderStatus.EXTENSION_REQUESTED),
    "return": (OrderStatus.RECEIVED, OrderStatus.SIGNED),
    "extend": (OrderStatus.SIGNED,),
    "callback": (OrderStatus.REPLIED,),
    # The hotline's answer to an extension request: only while one is pending.
    "extension_grant": (OrderStatus.EXTENSION_REQUESTED,),
    "extension_refuse": (OrderStatus.EXTENSION_REQUESTED,),
}
OPEN_STATUSES = (OrderStatus.RECEIVED, OrderStatus.SIGNED, OrderStatus.EXTENSION_REQUESTED)


class HotlineOrder(models.Model):
    matter = models.OneToOneField(
        Matter, on_delete=models.PROTECT, related_name="hotline_order", verbose_name=_("matter")
    )
    # Denormalised from the matter so lists and the gateway's scope need no join.
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    hotline = models.CharField(_("hotline"), max_length=16, default=DEFAULT_HOTLINE)
    order_no = models.CharField(_("order number"), max_length=64)
    kind = models.CharField(_("kind of demand"), max_length=12, choices=DemandKind.choices)
    hotline_category = models.CharField(_("hotline category"), max_length=100, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    dispatching_unit = models.CharField(_("dispatching unit"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    caller_name = models.CharField(_("caller"), max_length=40, blank=True)
    caller_phone = EncryptedTextField(_("caller's phone"), blank=True, default="")
    dispatched_at = models.DateTimeField(_("dispatched at"))
    received_at = models.DateTimeField(_("received at"))
    sign_due_at = models.DateTimeField(_("sign by"))
    reply_due_at = models.DateTimeField(_("reply by"))
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.RECEIVED
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    requested_due_at = models.DateTimeField(_("extension asked until"), null=True, blank=True)
    callback_satisfaction = models.CharField(
        _("callback satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    callback_solved = models.BooleanField(_("solved at callback"), null=True, blank=True)
    callback_note = models.TextField(_("callback note"), blank=True)
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    # SHA-256 of the order as received: the same number with other content is refused.
    content_digest = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("hotline order")
        verbose_name_plural = _("hotline orders")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["hotline", "order_no"], name="hotline_order_unique")
        ]
        indexes = [
            models.Index(fields=["community", "status"], name="hotline_community_status_idx"),
            models.Index(fields=["status", "reply_due_at"], name="hotline_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hotline}-{self.order_no}"

    @property
    def caller_phone_masked(self) -> str:
        return mask_phone(self.caller_phone)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def due_at(self):
        """The hotline deadline that matters now: signing before the order is signed."""
        return self.sign_due_at if self.status == OrderStatus.RECEIVED else self.reply_due_at


class OrderAction(models.TextChoices):
    RECEIVE = "receive", _("received from the hotline")
    SIGN = "sign", _("signed for")
    REPLY = "reply", _("replied with the result")
    RETURN = "return", _("returned")
    EXTEND = "extend", _("extension requested")
    CALLBACK = "callback", _("hotline callback")
    EXTENSION_GRANT = "extension_grant", _("extension granted by the hotline")
    EXTENSION_REFUSE = "extension_refuse", _("extension refused by the hotline")


class OrderEvent(HistoryEvent):
    """One row of an order's history of exchanges (``core.models.HistoryEvent``). The database
    refuses to update or delete it (``AppendOnly`` in migration 0004)."""

    order = models.ForeignKey(HotlineOrder, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30, choices=OrderAction.choices)

    class Meta(HistoryEvent.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"


class Adapter(models.TextChoices):
    HTTP = "http", _("HTTP (JSON)")
    SPREADSHEET = "spreadsheet", _("spreadsheet export")


class OutboundStatus(models.TextChoices):
    # The same values as the outbox's, so ``notifications.outbox.claim_due`` claims these rows.
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutboundAction(models.Model):
    """One answer to the hotline, queued in the transaction of the action that causes it and
    sent afterwards by its adapter (``gongzhi send_hotline`` or the spreadsheet export)."""

    order = models.ForeignKey(HotlineOrder, on_delete=models.CASCADE, related_name="outbound")
    action = models.CharField(_("action"), max_length=16)
    payload = models.JSONField(_("payload"), default=dict)
    adapter = models.CharField(_("adapter"), max_length=12, choices=Adapter.choices)
    urgent = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_try_at = models.DateTimeField(_("next try"))
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("answer to the hotline")
        verbose_name_plural = _("answers to the hotline")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["adapter", "status", "next_try_at"], name="hotline_outbound_due_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"


class GatewayCredential(models.Model):
    """A hotline gateway's key for the API. Only a SHA-256 digest of the key is stored."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=60)
    hotline = models.CharField(_("hotline"), max_length=16, default=DEFAULT_HOTLINE)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key begins with"), max_length=12, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("gateway credential")
        verbose_name_plural = _("gateway credentials")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class GatewayCall(models.Model):
    """Every call of the gateway API, accepted or refused; also what the rate limit counts."""

    credential = models.ForeignKey(
        GatewayCredential, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    at = models.DateTimeField(db_index=True)
    endpoint = models.CharField(max_length=40)
    order_no = models.CharField(max_length=64, blank=True)
    status = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("gateway call")
        verbose_name_plural = _("gateway calls")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["credential", "at"], name="hotline_call_rate_idx")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.status}"

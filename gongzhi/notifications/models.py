"""The in-app inbox, the outbox of messages that leave the site, and each person's preferences.

Every outbound message (SMS, WeCom) is first a row of ``Outbox``, written in the transaction of
the change that causes it; ``gongzhi send_outbox`` sends it later (see ``outbox.py``).
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=24)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    CONSOLE = "console", _("console (log only)")
    SMS = "sms", _("SMS")
    WECOM_ROBOT = "wecom_robot", _("WeCom group robot")
    WECOM_APP = "wecom_app", _("WeCom app message")


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Outbox(models.Model):
    """One message to send. ``to`` is a phone number, a WeCom user id or a robot key: personal
    data, so it is encrypted at rest, and ``last_error`` never contains it."""

    to = EncryptedTextField(_("recipient"))
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=24, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    # Template parameters for providers that send only approved templates (SMS), as JSON;
    # encrypted because they may hold a one-time code.
    params = EncryptedTextField(_("template parameters"), blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox",
        verbose_name=_("user"),
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_try_at = models.DateTimeField(_("next try"))
    # A sender that claimed the row holds it until this moment; if it dies, the row is free
    # again afterwards.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-id"]
        # The sender's query: queued rows whose next try is due.
        indexes = [models.Index(fields=["status", "next_try_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.subject}"


class PreferredChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    WECOM_APP = "wecom_app", _("WeCom")
    NONE = "none", _("only in the inbox")


class NotificationPreference(models.Model):
    """How a person wants to be told beyond the inbox, and when not to be disturbed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    channel = models.CharField(
        _("channel"), max_length=12, choices=PreferredChannel.choices, default=PreferredChannel.SMS
    )
    wecom_user_id = models.CharField(_("WeCom user ID"), max_length=64, blank=True)
    quiet_start = models.TimeField(_("quiet hours from"), default=dt.time(22, 0))
    quiet_end = models.TimeField(_("quiet hours until"), default=dt.time(7, 0))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_channel_display()}"

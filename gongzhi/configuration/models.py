"""The community's own settings change log, and partners' requests to join a team.

The settings themselves live in their apps (responsibility rules and deadlines in ``matters``,
earning rules and star schemes in ``volunteering``, teams in ``partners``, shop items in
``points``, venues and holidays in ``meetings``); this app only changes them, through
``services.py``, and keeps one ``ConfigChange`` row per change.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.places import PlacePaths
from gongzhi.partners.models import Partner, Team
from gongzhi.places.models import Community


class Entity(models.TextChoices):
    RESPONSIBILITY_RULE = "responsibility_rule", _("responsibility rule")
    DEADLINE_POLICY = "deadline_policy", _("deadline policy")
    EARNING_RULE = "earning_rule", _("earning rule")
    STAR_SCHEME = "star_scheme", _("star scheme")
    TEAM = "team", _("team")
    TEAM_MEMBERSHIP = "team_membership", _("team membership")
    SHOP_ITEM = "shop_item", _("shop item")
    VENUE = "venue", _("venue")
    PUBLIC_HOLIDAY = "public_holiday", _("public holiday")


class Action(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")
    RETIRE = "retire", _("retired")


class ConfigChange(models.Model):
    """One change to a community's settings: who, when, which object, before and after.

    Append-only: rows are only ever inserted (a mistake is corrected by another change); the
    database refuses UPDATE and DELETE (``core.appendonly.AppendOnly``, migration 0002).
    ``community`` is empty for national settings (public holidays).
    """

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), db_index=True)
    entity = models.CharField(_("what"), max_length=24, choices=Entity.choices)
    object_id = models.PositiveBigIntegerField(_("object"))
    action = models.CharField(_("change"), max_length=8, choices=Action.choices)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("settings change")
        verbose_name_plural = _("settings changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["community", "-at"], name="config_change_recent_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.entity}:{self.object_id} {self.action}"

    def save(self, *args, **kwargs):
        # History is rows, never edits: an existing row is never written again.
        if self.pk is not None:
            raise ValueError("ConfigChange rows are append-only")
        super().save(*args, **kwargs)


class JoinStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")


class TeamJoinRequest(models.Model):
    """A partner asks to join a team of their community; staff accept or decline."""

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="join_requests", verbose_name=_("team")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="join_requests", verbose_name=_("partner")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=JoinStatus.choices, default=JoinStatus.PENDING
    )
    requested_at = models.DateTimeField(_("asked"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    PLACE = PlacePaths(
        subdistrict="team__community__subdistrict",
        community="team__community",
        compound="team__compound",
        building="team__building",
    )

    class Meta:
        verbose_name = _("request to join a team")
        verbose_name_plural = _("requests to join a team")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "partner"],
                condition=Q(status="pending"),
                name="team_join_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} → {self.team} ({self.status})"

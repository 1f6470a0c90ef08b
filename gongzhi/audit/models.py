"""The audit trail (PIPL): who viewed, exported, imported, changed or decrypted personal data
and registry records. Rows are append-only (database triggers, ``core.appendonly``); only
``services.audit_purge`` removes rows older than the retention period."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.places import PlacePaths
from gongzhi.places.models import Community, Subdistrict


class AuditAction(models.TextChoices):
    """What was done. The field stores the value without ``choices`` so that an app may record
    a new action without a migration of this app; ``AuditRecord.action_label`` falls back to the
    value."""

    VIEW = "view", _("viewed")
    EXPORT = "export", _("exported")
    IMPORT = "import", _("imported")
    CHANGE = "change", _("changed")
    DECRYPT = "decrypt", _("saw in full")
    RESET_2FA = "reset_2fa", _("reset the second factor")
    PURGE = "purge", _("purged old audit records")


class AuditRecord(models.Model):
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Kept when the account is deleted (actor becomes NULL); "system" for commands.
    actor_username = models.CharField(_("username"), max_length=150)
    action = models.CharField(_("action"), max_length=30)
    # What was touched, by kind and id ("resident:123", "household:9", "export:people:residents")
    # or by list ("residents"): never a name, an ID number or a phone.
    subject = models.CharField(_("subject"), max_length=120)
    # Where the subject lies, so that the page can be scoped by place: NULL for both when the
    # subject has no place (the whole system).
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subdistrict"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    address = models.CharField(_("address"), max_length=45, blank=True)
    # Filters, counts, field names: never the personal data itself.
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    PLACE = PlacePaths(subdistrict="subdistrict", community="community")

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["community", "-at"], name="audit_community_at_idx"),
            models.Index(fields=["subdistrict", "-at"], name="audit_subdistrict_at_idx"),
            models.Index(fields=["actor_username", "-at"], name="audit_actor_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.subject}"

    @property
    def action_label(self) -> str:
        try:
            return str(AuditAction(self.action).label)
        except ValueError:
            return self.action

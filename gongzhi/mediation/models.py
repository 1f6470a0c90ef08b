"""Dispute mediation cases (矛盾调解) in the spirit of the Fengqiao experience.

A case has a kind, parties (residents, organisations or named outsiders), a confidential
description, mediators (partners with the 矛盾调解 skill or one of the roles the paper names),
sessions with notes, an outcome and follow-up visits (回访) at one week and one month. See
docs/mediation.md for the lifecycle and ``rules.py`` for who sees what. Fields that change with
the workflow are written only by the functions in ``services.py``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.models import HistoryEvent
from gongzhi.core.places import PlacePaths
from gongzhi.matters.models import Matter
from gongzhi.partners.models import Organisation, Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound

MAX_TEXT_LENGTH = 4000
MEDIATION_SKILL = "矛盾调解"
MEDIATOR_ROLES = ("community_talent", "social_org_leader", "senior_party_member")
# Follow-up visits after an agreement: one week and one month.
FOLLOW_UP_DAYS = (7, 30)


class CaseKind(models.TextChoices):
    FAMILY = "family", _("family dispute")
    NEIGHBOUR = "neighbour", _("neighbour dispute")
    OWNERS_PROPERTY = "owners_property", _("owners vs property company")
    OTHER = "other", _("other dispute")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("opened")
    MEDIATING = "mediating", _("being mediated")
    FOLLOWING_UP = "following_up", _("agreement, follow-up visits")
    CLOSED = "closed", pgettext_lazy("mediation case status", "closed")
    REFERRED = "referred", pgettext_lazy("mediation case status", "referred elsewhere")


OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.MEDIATING, CaseStatus.FOLLOWING_UP)


class Outcome(models.TextChoices):
    AGREED = "agreed", _("agreement reached")
    PARTLY = "partly", _("partly agreed")
    FAILED = "failed", _("failed")


class ReferralTarget(models.TextChoices):
    COMMITTEE = "committee", _("people's mediation committee")
    DEPARTMENT = "department", _("a government department")
    COURT = "court", _("court")


class MediationCase(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    description = models.TextField(_("description"), max_length=MAX_TEXT_LENGTH)
    status = models.CharField(
        _("status"), max_length=14, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="mediation_cases",
        verbose_name=_("community"),
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediation_cases",
        verbose_name=_("compound"),
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediation_cases",
        verbose_name=_("building"),
    )
    matter = models.ForeignKey(
        Matter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediation_cases",
        verbose_name=_("matter"),
    )
    mediators = models.ManyToManyField(
        Partner, blank=True, related_name="mediation_cases", verbose_name=_("mediators")
    )
    authorised_staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="authorised_mediation_cases",
        verbose_name=_("authorised staff"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opened_mediation_cases",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, blank=True)
    agreement_text = models.TextField(_("agreement"), blank=True)
    referred_to = models.CharField(
        _("referred to"), max_length=12, choices=ReferralTarget.choices, blank=True
    )
    referral_note = models.CharField(_("referral note"), max_length=200, blank=True)
    outcome_at = models.DateTimeField(_("outcome at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    PLACE = PlacePaths(
        subdistrict="community__subdistrict",
        community="community",
        compound="compound",
        building="building",
    )

    class Meta:
        verbose_name = _("mediation case")
        verbose_name_plural = _("mediation cases")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status"], name="mediation_community_status_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(building__isnull=True) | models.Q(compound__isnull=False),
                name="mediation_building_has_compound",
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome="agreed") | ~models.Q(agreement_text=""),
                name="mediation_agreed_has_text",
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome="failed") | ~models.Q(referred_to=""),
                name="mediation_failed_is_referred",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def place(self):
        return self.building or self.compound or self.community

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseParty(models.Model):
    """One side of the dispute: a resident, an organisation, or a named outsider."""

    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="parties")
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediation_parties",
        verbose_name=_("resident"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediation_parties",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resident__isnull=False)
                | models.Q(organisation__isnull=False)
                | ~models.Q(name=""),
                name="mediation_party_named",
            ),
            models.UniqueConstraint(
                fields=["case", "resident"],
                condition=models.Q(resident__isnull=False),
                name="mediation_party_resident_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.resident_id:
            return self.resident.name
        if self.organisation_id:
            return self.organisation.name
        return self.name


class CaseSession(models.Model):
    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("held at"))
    notes = models.TextField(_("notes"), max_length=MAX_TEXT_LENGTH)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.held_at:%Y-%m-%d}"


class FollowUp(models.Model):
    """A follow-up visit (回访) after an agreement: did the agreement hold?"""

    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="follow_ups")
    after_days = models.PositiveSmallIntegerField(_("after days"))
    due_on = models.DateField(_("due on"), db_index=True)
    done_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    held = models.BooleanField(_("agreement held"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "after_days"], name="mediation_followup_once"),
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True) | models.Q(held__isnull=False),
                name="mediation_followup_done_has_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.after_days}d"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class CaseEvent(HistoryEvent):
    """One row of a case's history (``core.models.HistoryEvent``). The database refuses to
    update or delete it (``AppendOnly`` in migration 0002). Notes here are not confidential
    (the confidential text lives in the case, its sessions and follow-ups)."""

    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="events")

    class Meta(HistoryEvent.Meta):
        verbose_name = _("mediation case event")
        verbose_name_plural = _("mediation case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"

"""Volunteer service (志愿服务): activities, service records, earning rules, points claims
and star levels (星级).

Two records are kept apart (docs/volunteering.md): the **service record** (minutes served,
the legal and honour basis) and the **points** earned for it (in ``gongzhi.points``). Spending
points never touches minutes; star levels come from approved minutes only.

A record is written by the organising side ("谁组织谁记录") and, once confirmed, is immutable:
its minutes change only through ``service_record_amend``, which leaves a ``ServiceAmendment``.
``ServiceRecord.save`` and ``ServiceRecordQuerySet.update`` refuse any other change of a
confirmed record's minutes or participant.

A participant is one person: a partner linked to a resident is recorded as that resident
(``resident`` set, ``partner`` kept to show in which capacity), a partner without a resident
record (a dispatched cadre) by ``partner`` alone, as in the points ledger's accounts.
"""

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.models import HistoryEvent
from gongzhi.core.places import PlacePaths
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.people.models import Resident
from gongzhi.places.models import Community, PlacedModel

DEFAULT_STAR_THRESHOLDS = [100, 300, 600, 1000, 1500]


class ActivityKind(models.TextChoices):
    SERVICE = "service", _("volunteer service")
    TASK = "task", _("task")
    MEETING = "meeting", _("meeting attended")
    MEDIATION = "mediation", _("mediation")
    CO_BUILDING = "co_building", _("co-building labour")


class Activity(PlacedModel):
    """An activity at a community (optionally a compound or a building: ``PlacedModel``)."""

    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=ActivityKind.choices)
    organiser_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("organising team"),
    )
    organiser_org = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("organising organisation"),
    )
    organised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organiser"),
        help_text=_("The user who records and confirms the participants' hours"),
    )
    date = models.DateField(_("date"))
    source = models.CharField(
        _("source"), max_length=40, blank=True, help_text=_('For example "matter:12"')
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organiser_team__isnull=False, organiser_org__isnull=True)
                | Q(organiser_team__isnull=True, organiser_org__isnull=False),
                name="activity_one_organiser",
            ),
        ]
        indexes = [models.Index(fields=["community", "date"], name="activity_scope_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/volunteering/{self.pk}/"

    @property
    def organiser(self):
        return self.organiser_team or self.organiser_org


class RecordStatus(models.TextChoices):
    CLAIMED = "claimed", _("claimed")
    CONFIRMED = "confirmed", _("confirmed")
    PUBLICISED = "publicised", _("in publicity")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", pgettext_lazy("volunteering", "rejected")
    REVOKED = "revoked", _("revoked")


# Once the organiser has confirmed a record its minutes are fixed (amendments aside).
FIXED_STATUSES = (RecordStatus.CONFIRMED, RecordStatus.PUBLICISED, RecordStatus.APPROVED)
PROTECTED_FIELDS = ("minutes", "activity_id", "partner_id", "resident_id")


class ImmutableRecord(ValidationError):
    pass


class ServiceRecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        fields = {key.removesuffix("_id") for key in kwargs}
        touched = fields & {name.removesuffix("_id") for name in PROTECTED_FIELDS}
        if touched and self.exclude(status=RecordStatus.CLAIMED).exists():
            raise ImmutableRecord(_("A confirmed service record is changed only by an amendment."))
        return super().update(**kwargs)

    def approved(self):
        return self.filter(status=RecordStatus.APPROVED)


class ServiceRecord(models.Model):
    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="records", verbose_name=_("activity")
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_records",
        verbose_name=_("resident"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_records",
        verbose_name=_("partner"),
    )
    minutes = models.PositiveIntegerField(_("minutes"))
    status = models.CharField(
        _("status"), max_length=10, choices=RecordStatus.choices, default=RecordStatus.CLAIMED
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    objects = ServiceRecordQuerySet.as_manager()

    PLACE = PlacePaths(
        subdistrict="activity__community__subdistrict",
        community="activity__community",
        compound="activity__compound",
        building="activity__building",
    )

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-activity__date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0), name="service_minutes_positive"),
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(partner__isnull=False),
                name="service_record_has_person",
            ),
            models.UniqueConstraint(
                fields=["activity", "resident"],
                condition=Q(resident__isnull=False),
                name="service_record_one_per_resident",
            ),
            models.UniqueConstraint(
                fields=["activity", "partner"],
                condition=Q(resident__isnull=True),
                name="service_record_one_per_partner",
            ),
        ]
        indexes = [models.Index(fields=["resident", "status"], name="service_person_idx")]

    def __str__(self) -> str:
        return f"{self.activity} · {self.person_name}"

    def save(self, *args, **kwargs):
        # The model guard behind the services: only an amendment may change a fixed record.
        if self.pk and not getattr(self, "_amending", False):
            stored = (
                ServiceRecord.objects.filter(pk=self.pk).values("status", *PROTECTED_FIELDS).first()
            )
            if stored is not None and stored["status"] != RecordStatus.CLAIMED:
                if any(stored[name] != getattr(self, name) for name in PROTECTED_FIELDS):
                    raise ImmutableRecord(
                        _("A confirmed service record is changed only by an amendment.")
                    )
        super().save(*args, **kwargs)

    @property
    def person(self):
        return self.resident if self.resident_id else self.partner

    @property
    def person_name(self) -> str:
        return self.person.name

    @property
    def person_key(self) -> str:
        return f"r{self.resident_id}" if self.resident_id else f"p{self.partner_id}"

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


class ServiceAmendment(models.Model):
    """An audited change of a fixed record's minutes. When points were already issued, the
    difference is a reversal of the old earning plus a new earning (``reversal`` / ``earning``)."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="amendments")
    old_minutes = models.PositiveIntegerField(_("old minutes"))
    new_minutes = models.PositiveIntegerField(_("new minutes"))
    reason = models.CharField(_("reason"), max_length=200)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    reversal = models.ForeignKey(
        "points.Journal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    earning = models.ForeignKey(
        "points.Journal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("service record amendment")
        verbose_name_plural = _("service record amendments")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_minutes__gt=0) & ~Q(new_minutes=models.F("old_minutes")),
                name="amendment_changes_minutes",
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.old_minutes} → {self.new_minutes}"


class EarningUnit(models.TextChoices):
    PER_HOUR = "hour", _("per hour served")
    PER_TASK = "task", _("per participation")


class EarningRule(models.Model):
    """Points for a kind of activity: per hour served or per participation, capped per
    activity. The rule valid on the activity's date applies (the latest ``valid_from``)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    kind = models.CharField(_("activity kind"), max_length=12, choices=ActivityKind.choices)
    unit = models.CharField(
        pgettext_lazy("earning rule", "unit"), max_length=6, choices=EarningUnit.choices
    )
    points = models.PositiveIntegerField(_("points per unit"))
    cap_per_activity = models.PositiveIntegerField(
        _("cap per activity"),
        null=True,
        blank=True,
        help_text=_("Most points one person earns for one activity"),
    )
    publicity_days = models.PositiveSmallIntegerField(_("publicity days"), default=7)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["kind", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="earning_rule_points_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="earning_rule_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.points} {self.get_unit_display()}"

    def points_for(self, minutes: int) -> int:
        earned = self.points * minutes // 60 if self.unit == EarningUnit.PER_HOUR else self.points
        return min(earned, self.cap_per_activity) if self.cap_per_activity else earned


class ClaimStatus(models.TextChoices):
    APPLIED = "applied", _("applied")
    PUBLICISED = "publicised", _("in publicity")
    OBJECTED = "objected", _("objection raised")
    ISSUED = "issued", _("issued")
    REJECTED = "rejected", pgettext_lazy("volunteering", "rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


class PointsClaim(models.Model):
    """The approval flow of the points for one record: 申请 (applied, made when the record is
    confirmed) → 审核 (staff approve) → 公示 (publicised until ``publicity_until``; anyone may
    object) → issued through ``points_earn`` with the key ``svc:<record id>``."""

    record = models.OneToOneField(ServiceRecord, on_delete=models.PROTECT, related_name="claim")
    rule = models.ForeignKey(EarningRule, on_delete=models.PROTECT, null=True, blank=True)
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.APPLIED
    )
    applied_at = models.DateTimeField(_("applied"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    publicity_until = models.DateTimeField(_("publicity until"), null=True, blank=True)
    objection = models.CharField(_("objection"), max_length=200, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    journal = models.ForeignKey(
        "points.Journal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    PLACE = PlacePaths(
        subdistrict="record__activity__community__subdistrict",
        community="record__activity__community",
        compound="record__activity__compound",
        building="record__activity__building",
    )

    class Meta:
        verbose_name = _("points claim")
        verbose_name_plural = _("points claims")
        ordering = ["-applied_at", "-id"]
        indexes = [
            models.Index(fields=["status", "publicity_until"], name="claim_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.record} · {self.points}"


class StarScheme(models.Model):
    """Star levels (星级) of a community: thresholds in hours for ★1, ★2 …"""

    community = models.OneToOneField(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    thresholds = models.JSONField(_("thresholds (hours)"), default=list)
    publicity_days = models.PositiveSmallIntegerField(_("publicity days"), default=7)

    class Meta:
        verbose_name = _("star scheme")
        verbose_name_plural = _("star schemes")

    def __str__(self) -> str:
        return "/".join(str(hours) for hours in self.thresholds)

    def clean(self) -> None:
        values = self.thresholds
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, int) and v > 0 for v in values)
            or values != sorted(set(values))
        ):
            raise ValidationError(
                _("Thresholds must be increasing whole numbers of hours, for example 100, 300.")
            )

    def level_for(self, minutes: int) -> int:
        return sum(1 for hours in self.thresholds if minutes >= hours * 60)


class StarStatus(models.TextChoices):
    PUBLICISED = "publicised", _("in publicity")
    AWARDED = "awarded", _("awarded")
    WITHDRAWN = "withdrawn", _("withdrawn")


class StarAward(models.Model):
    """A star level reached by one person. Publicised first, awarded when the publicity ends;
    withdrawn (never deleted) when revoked hours take the person below it."""

    scheme = models.ForeignKey(StarScheme, on_delete=models.PROTECT, related_name="awards")
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("level"))
    minutes = models.PositiveIntegerField(_("approved minutes at the time"))
    status = models.CharField(
        _("status"), max_length=10, choices=StarStatus.choices, default=StarStatus.PUBLICISED
    )
    created_at = models.DateTimeField(_("created"))
    publicity_until = models.DateTimeField(_("publicity until"))
    awarded_at = models.DateTimeField(_("awarded"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    PLACE = PlacePaths(subdistrict="scheme__community__subdistrict", community="scheme__community")

    class Meta:
        verbose_name = _("star award")
        verbose_name_plural = _("star awards")
        ordering = ["-level", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(partner__isnull=False),
                name="star_award_has_person",
            ),
            models.UniqueConstraint(
                fields=["scheme", "resident", "level"],
                condition=Q(resident__isnull=False) & ~Q(status="withdrawn"),
                name="star_award_one_live_per_resident",
            ),
            models.UniqueConstraint(
                fields=["scheme", "partner", "level"],
                condition=Q(resident__isnull=True) & ~Q(status="withdrawn"),
                name="star_award_one_live_per_partner",
            ),
        ]

    def __str__(self) -> str:
        return "★" * self.level

    @property
    def person(self):
        return self.resident if self.resident_id else self.partner


def person_q(person: Partner | Resident, prefix: str = "") -> Q:
    """Rows (records, awards) of one person: a partner linked to a resident is that resident."""
    if isinstance(person, Partner):
        if person.resident_id:
            return Q(**{f"{prefix}resident_id": person.resident_id})
        return Q(**{f"{prefix}partner_id": person.pk, f"{prefix}resident__isnull": True})
    return Q(**{f"{prefix}resident_id": person.pk})


# History: one append-only table per subject (``core.models.HistoryEvent``, ``AppendOnly`` in
# migration 0002), each with a real foreign key.


class _SubjectEvent(HistoryEvent):
    """A history row of one subject, named by its foreign key ``subject``; ``str`` shows it as
    the old single history named it ("record:5 confirmed"), ``label`` being the prefix."""

    subject: ClassVar[str]
    label: ClassVar[str]

    class Meta(HistoryEvent.Meta):
        abstract = True

    def __str__(self) -> str:
        return f"{self.label}:{getattr(self, f'{self.subject}_id')} {self.action}"


class ActivityEvent(_SubjectEvent):
    subject = label = "activity"
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="events")

    class Meta(_SubjectEvent.Meta):
        verbose_name = _("activity event")
        verbose_name_plural = _("activity events")


class RecordEvent(_SubjectEvent):
    subject = label = "record"
    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="events")

    class Meta(_SubjectEvent.Meta):
        verbose_name = _("service record event")
        verbose_name_plural = _("service record events")


class ClaimEvent(_SubjectEvent):
    subject = label = "claim"
    claim = models.ForeignKey(PointsClaim, on_delete=models.CASCADE, related_name="events")

    class Meta(_SubjectEvent.Meta):
        verbose_name = _("points claim event")
        verbose_name_plural = _("points claim events")


class StarEvent(_SubjectEvent):
    subject, label = "award", "star"
    award = models.ForeignKey(StarAward, on_delete=models.CASCADE, related_name="events")

    class Meta(_SubjectEvent.Meta):
        verbose_name = _("star award event")
        verbose_name_plural = _("star award events")


class LegacyVolunteeringEvent(models.Model):
    """Rows of the old single history (``subject`` a string like "record:5") whose subject no
    longer existed when migration 0002 moved the others to the tables above: kept, not
    written any more, append-only."""

    subject = models.CharField(max_length=30, help_text='"record:5", "claim:7", "star:3"')
    action = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("volunteering event (legacy)")
        verbose_name_plural = _("volunteering events (legacy)")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.subject} {self.action}"

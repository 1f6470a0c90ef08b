"""Deliberation meetings (议事): venues, recurring series, meetings, participants, the agenda,
votes, decisions and their action items (办理事项). See docs/meetings.md.

Fields that change with the workflow are written only by ``services.py``. Decisions are
append-only: a correction is a new row pointing at the corrected one (``corrects``), and a
database trigger (migration 0002) refuses any UPDATE of a decision row.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.places import PlacePaths
from gongzhi.matters.models import Matter
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.people.models import Resident
from gongzhi.places.models import Community, Compound, PlacedModel


class PublicHoliday(models.Model):
    """A day off by law (``is_workday`` False) or a weekend working day (调休, True)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=30)
    is_workday = models.BooleanField(_("working day (调休)"), default=False)

    class Meta:
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Venue(models.Model):
    name = models.CharField(_("name"), max_length=60)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="venues", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="venues",
        verbose_name=_("compound"),
    )
    address = models.CharField(_("address"), max_length=120, blank=True)
    capacity = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True)

    PLACE = PlacePaths(
        subdistrict="community__subdistrict", community="community", compound="compound"
    )

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="venue_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Rule(models.TextChoices):
    WEEKLY = "weekly", _("weekly on a weekday (周周议)")
    FOURS = "fours", _("on the 4th, 14th and 24th (逢四说事)")
    MONTHLY = "monthly", _("monthly on a day")
    AD_HOC = "ad_hoc", _("ad hoc")


class HolidayPolicy(models.TextChoices):
    KEEP = "keep", _("hold it anyway")
    SKIP = "skip", _("skip it")
    NEXT_WORKDAY = "next_workday", _("move to the next working day")


class Majority(models.TextChoices):
    SIMPLE = "simple", _("simple majority")
    TWO_THIRDS = "two_thirds", _("two-thirds majority")


def _scope_constraint(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(building__isnull=True) | models.Q(compound__isnull=False),
        name=name,
    )


class Series(PlacedModel):
    name = models.CharField(_("name"), max_length=60)
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, related_name="series", verbose_name=_("venue")
    )
    rule = models.CharField(_("recurrence"), max_length=8, choices=Rule.choices)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), null=True, blank=True, help_text=_("0 = Monday … 6 = Sunday")
    )
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    holiday_policy = models.CharField(
        _("on a public holiday"),
        max_length=12,
        choices=HolidayPolicy.choices,
        default=HolidayPolicy.NEXT_WORKDAY,
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    start_time = models.TimeField(_("start time"))
    duration_minutes = models.PositiveSmallIntegerField(_("minutes"), default=90)
    convenor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("convenor"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")
        ordering = ["community", "name"]
        constraints = [
            _scope_constraint("series_building_has_compound"),
            models.CheckConstraint(
                condition=~models.Q(rule="weekly") | models.Q(weekday__lte=6),
                name="series_weekly_has_weekday",
            ),
            models.CheckConstraint(
                condition=~models.Q(rule="monthly")
                | models.Q(day_of_month__gte=1, day_of_month__lte=31),
                name="series_monthly_has_day",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    IN_SESSION = "in_session", _("in session")
    CLOSED = "closed", pgettext_lazy("meeting status", "closed")
    CANCELLED = "cancelled", _("cancelled")


class MeetingQuerySet(models.QuerySet):
    def with_place(self):
        return self.select_related(
            "community", "compound", "building", "venue", "series", "convenor", "recorder"
        )

    def upcoming(self, now):
        return self.filter(status=MeetingStatus.PLANNED, starts_at__gte=now)


class Meeting(PlacedModel):
    title = models.CharField(_("title"), max_length=80)
    series = models.ForeignKey(
        Series,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("series"),
    )
    rule_date = models.DateField(
        null=True, blank=True, help_text="The series' date before any holiday move"
    )
    venue = models.ForeignKey(
        Venue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("venue"),
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    convenor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("convenor"),
    )
    recorder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorder"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    quorum_share = models.FloatField(
        _("quorum (share of voters)"),
        default=0.5,
        help_text=_("Share of the voters who must be present, 0–1"),
    )
    quorum_count = models.PositiveSmallIntegerField(
        _("quorum (number of voters)"), null=True, blank=True
    )
    majority = models.CharField(
        _("majority"), max_length=10, choices=Majority.choices, default=Majority.SIMPLE
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at", "id"]
        constraints = [
            _scope_constraint("meeting_building_has_compound"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="meeting_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(quorum_share__gte=0, quorum_share__lte=1),
                name="meeting_quorum_share_range",
            ),
            models.UniqueConstraint(
                fields=["series", "rule_date"],
                condition=models.Q(series__isnull=False),
                name="meeting_series_date_unique",
            ),
        ]
        indexes = [models.Index(fields=["venue", "starts_at"], name="meeting_venue_start_idx")]

    def __str__(self) -> str:
        return f"{self.title} {self.starts_at:%Y-%m-%d}"

    @property
    def is_closed(self) -> bool:
        return self.status == MeetingStatus.CLOSED


class ParticipantKind(models.TextChoices):
    PARTNER = "partner", _("partner")
    RESIDENT = "resident", _("resident")
    ORGANISATION = "organisation", _("organisation")
    STAFF = "staff", _("community staff")
    OUTSIDER = "outsider", _("invited guest")


class OutsiderRole(models.TextChoices):
    DEPUTY = "deputy", _("district people's deputy")
    SUBDISTRICT = "subdistrict", _("subdistrict official")
    DEPARTMENT = "department", _("government department")
    PROPERTY = "property", _("property company")
    OWNERS = "owners", _("owners' committee")
    OTHER = "other", _("other")


class Reply(models.TextChoices):
    PENDING = "pending", _("no reply yet")
    ACCEPTED = "accepted", _("will attend")
    DECLINED = "declined", _("cannot attend")


class Participant(models.Model):
    """Someone invited: a partner, a resident, an organisation, staff, or an outside guest."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    kind = models.CharField(_("kind"), max_length=12, choices=ParticipantKind.choices)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    outsider_role = models.CharField(
        _("guest role"), max_length=12, choices=OutsiderRole.choices, blank=True
    )
    is_voter = models.BooleanField(_("may vote"), default=False)
    reply = models.CharField(
        _("reply"), max_length=10, choices=Reply.choices, default=Reply.PENDING
    )
    attended = models.BooleanField(_("attended"), default=False)
    invited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "partner"],
                condition=models.Q(partner__isnull=False),
                name="participant_partner_unique",
            ),
            models.UniqueConstraint(
                fields=["meeting", "resident"],
                condition=models.Q(resident__isnull=False),
                name="participant_resident_unique",
            ),
            models.UniqueConstraint(
                fields=["meeting", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="participant_organisation_unique",
            ),
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=models.Q(user__isnull=False),
                name="participant_user_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ItemSource(models.TextChoices):
    MATTER = "matter", _("from a matter")
    RESIDENT = "resident", _("resident's proposal")
    STAFF = "staff", _("from staff")


class ItemStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed, not scheduled")
    SCHEDULED = "scheduled", _("on the agenda")
    DECIDED = "decided", _("decided")
    DEFERRED = "deferred", _("deferred")


class AgendaItem(PlacedModel):
    """One item on an agenda, or (``meeting`` empty) waiting in the queue of proposals."""

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("meeting"),
    )
    source = models.CharField(_("source"), max_length=10, choices=ItemSource.choices)
    matter = models.ForeignKey(
        Matter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("matter"),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    minutes = models.PositiveSmallIntegerField(_("time box (minutes)"), default=15)
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.PROPOSED
    )
    notes = models.TextField(_("discussion"), blank=True, max_length=5000)
    options = models.TextField(_("options"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position", "id"]
        constraints = [
            _scope_constraint("agenda_item_building_has_compound"),
            models.CheckConstraint(
                condition=~models.Q(source="matter") | models.Q(matter__isnull=False),
                name="agenda_item_matter_source",
            ),
            models.CheckConstraint(
                condition=models.Q(meeting__isnull=False) | models.Q(status="proposed"),
                name="agenda_item_queue_is_proposed",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class VoteChoice(models.TextChoices):
    FOR = "for", _("for")
    AGAINST = "against", _("against")
    ABSTAIN = "abstain", _("abstain")


class Vote(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="votes")
    choice = models.CharField(_("vote"), max_length=8, choices=VoteChoice.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["item", "participant"], name="vote_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.choice}"


class Method(models.TextChoices):
    VOTE = "vote", _("by vote")
    CONSENSUS = "consensus", _("by consensus")


class Outcome(models.TextChoices):
    ADOPTED = "adopted", _("adopted")
    REJECTED = "rejected", pgettext_lazy("decision outcome", "rejected")


class DecisionQuerySet(models.QuerySet):
    def current(self):
        """Decisions not superseded by a correction."""
        return self.filter(corrected_by__isnull=True)


class Decision(models.Model):
    """What an item's meeting decided. Never updated: corrections are new rows (``corrects``).

    Immutability is held three times: services refuse to decide on a closed meeting, ``save``
    refuses to update an existing row, and a database trigger refuses UPDATE statements (which
    also covers ``QuerySet.update`` and raw SQL).
    """

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="decisions")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    text = models.TextField(_("decision"), max_length=2000)
    majority = models.CharField(_("majority"), max_length=10, choices=Majority.choices, blank=True)
    votes_for = models.PositiveSmallIntegerField(default=0)
    votes_against = models.PositiveSmallIntegerField(default=0)
    votes_abstain = models.PositiveSmallIntegerField(default=0)
    voters_present = models.PositiveSmallIntegerField(default=0)
    voters_total = models.PositiveSmallIntegerField(default=0)
    corrects = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
        verbose_name=_("corrects"),
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))

    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return self.text[:30]

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("A decision is never changed; record a correction instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A decision is never deleted; record a correction instead."))

    @property
    def votes_cast(self) -> int:
        return self.votes_for + self.votes_against + self.votes_abstain


class ActionStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")


class ActionItem(models.Model):
    """办理事项: who does what by when, after a decision. Exactly one owner."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="actions")
    title = models.CharField(_("task"), max_length=200)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="meeting_actions"
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="meeting_actions"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_actions",
    )
    due_on = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=6, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_note = models.TextField(_("note"), blank=True, max_length=1000)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(partner__isnull=False, team__isnull=True, organisation__isnull=True)
                    | models.Q(partner__isnull=True, team__isnull=False, organisation__isnull=True)
                    | models.Q(partner__isnull=True, team__isnull=True, organisation__isnull=False)
                ),
                name="action_item_exactly_one_owner",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(done_at__isnull=False),
                name="action_item_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner(self):
        return self.partner or self.team or self.organisation

    @property
    def done_on_time(self) -> bool:
        return self.done_at is not None and timezone.localdate(self.done_at) <= self.due_on

"""Matters (事项/诉求): resident requests, their owners, and their append-only history.

See docs/matters.md for the state machine. Fields that change with the workflow are written only
by the transition functions in ``services.py``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField, exactly_one
from gongzhi.core.identity import mask_phone
from gongzhi.core.models import HistoryEvent
from gongzhi.core.places import PlacePaths
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound, Household

MAX_TEXT_LENGTH = 2000


class Channel(models.TextChoices):
    GRID_VISIT = "grid_visit", _("grid visit")
    BUILDING_VISIT = "building_visit", _("building visit")
    ONLINE_WEB = "online_web", _("online: web form")
    ONLINE_WECHAT = "online_wechat", _("online: WeChat")
    ONLINE_PHONE = "online_phone", _("online: phone")
    WALK_IN = "walk_in", _("walk-in")
    MEETING = "meeting", _("raised in a meeting")


class Category(models.TextChoices):
    PARKING = "parking", _("parking")
    GREENING = "greening", _("greening")
    SANITATION = "sanitation", _("sanitation")
    PETS = "pets", _("pets")
    FACILITIES = "facilities", _("facilities repair")
    SAFETY = "safety", _("safety hazards")
    CARE = "care", _("care and help")
    DISPUTES = "disputes", _("disputes")
    PROPERTY = "property", _("property services")
    CULTURE = "culture", _("culture and sports")
    SERVICES = "services", _("government services")
    OTHER = "other", _("other")


class Tier(models.TextChoices):
    SMALL = "small", _("small matter")
    BIG = "big", _("big matter")
    HARD = "hard", _("hard matter")


class Status(models.TextChoices):
    RECEIVED = "received", _("received")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    ASSIGNED = "assigned", _("assigned")
    DELIBERATING = "deliberating", _("deliberating")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done, awaiting feedback")
    CLOSED = "closed", _("closed")
    MERGED = "merged", _("merged as duplicate")
    REFERRED = "referred", _("referred elsewhere")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_STATUSES = (
    Status.RECEIVED,
    Status.ACKNOWLEDGED,
    Status.ASSIGNED,
    Status.DELIBERATING,
    Status.IN_PROGRESS,
    Status.DONE,
)
# Statuses in which the matter still waits for someone to act (done waits for the resident).
WORKING_STATUSES = OPEN_STATUSES[:-1]


# The state machine (docs/matters.md): the statuses each transition may start from. Services
# enforce it; ``rules.allowed_actions`` uses it to offer only the possible actions.
_EARLY = (Status.RECEIVED, Status.ACKNOWLEDGED, Status.ASSIGNED)
SOURCES = {
    "acknowledge": (Status.RECEIVED,),
    "assign": (Status.RECEIVED, Status.ACKNOWLEDGED, Status.ASSIGNED, Status.IN_PROGRESS),
    "deliberate": (Status.ASSIGNED,),
    "start": (Status.ASSIGNED, Status.DELIBERATING),
    "complete": (Status.IN_PROGRESS,),
    # Handling (办结) a small matter in one step: starting and completing it together.
    "handle": _EARLY,
    # A submit recorded as already handled (当场办结): the second step of the same submit.
    "handle_on_spot": (Status.RECEIVED,),
    "feedback": (Status.DONE,),
    "close_unrated": (Status.DONE,),
    "merge": _EARLY,
    "refer": _EARLY,
    "reject": (Status.RECEIVED, Status.ACKNOWLEDGED),
    "withdraw": WORKING_STATUSES,
}
# Where each transition leads. Feedback closes the matter, or reopens / escalates it (back to
# in progress) when the resident is dissatisfied.
TARGETS = {
    "submit": (Status.RECEIVED,),
    "acknowledge": (Status.ACKNOWLEDGED,),
    "assign": (Status.ASSIGNED,),
    "deliberate": (Status.DELIBERATING,),
    "start": (Status.IN_PROGRESS,),
    "complete": (Status.DONE,),
    "handle": (Status.DONE,),
    "handle_on_spot": (Status.DONE,),
    "feedback": (Status.CLOSED,),
    "reopen": (Status.IN_PROGRESS,),
    "escalate": (Status.IN_PROGRESS,),
    "close_unrated": (Status.CLOSED,),
    "merge": (Status.MERGED,),
    "refer": (Status.REFERRED,),
    "reject": (Status.REJECTED,),
    "withdraw": (Status.WITHDRAWN,),
}


class Priority(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASIC = "basic", _("basically satisfied")
    DISSATISFIED = "dissatisfied", _("dissatisfied")


class WorkingMode(models.TextChoices):
    COOPERATE = "cooperate", _("work together")  # 协同
    DELIBERATE = "deliberate", _("deliberate together")  # 共商
    JOINT = "joint", _("joint action")  # 联动


class MatterQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def with_place(self):
        return self.select_related("community", "compound", "building__compound", "household")


class Matter(models.Model):
    text = models.TextField(_("text"), max_length=MAX_TEXT_LENGTH)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    reporter = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_matters",
        verbose_name=_("reporter"),
    )
    reporter_name = models.CharField(_("reporter name"), max_length=40, blank=True)
    reporter_contact = EncryptedTextField(_("reporter contact"), blank=True, default="")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entered_matters",
        verbose_name=_("entered by"),
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="matters", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matters",
        verbose_name=_("compound"),
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matters",
        verbose_name=_("building"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matters",
        verbose_name=_("household"),
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    tier = models.CharField(_("tier"), max_length=6, choices=Tier.choices)
    suggested_category = models.CharField(max_length=12, choices=Category.choices, blank=True)
    suggested_tier = models.CharField(max_length=6, choices=Tier.choices, blank=True)
    suggestion_confidence = models.FloatField(null=True, blank=True)
    classification_confirmed = models.BooleanField(_("classification confirmed"), default=False)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    working_mode = models.CharField(
        _("working mode"), max_length=10, choices=WorkingMode.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.RECEIVED
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_matters",
        verbose_name=_("merged into"),
    )
    closing_reason = models.TextField(_("reason"), blank=True)
    referred_to = models.CharField(_("referred to"), max_length=120, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    bounce_count = models.PositiveSmallIntegerField(_("times re-assigned"), default=0)
    created_at = models.DateTimeField(_("submitted at"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    ack_due_at = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    feedback_comment = models.TextField(_("feedback comment"), blank=True)
    feedback_at = models.DateTimeField(_("feedback at"), null=True, blank=True)

    objects = MatterQuerySet.as_manager()

    PLACE = PlacePaths(
        subdistrict="community__subdistrict",
        community="community",
        compound="compound",
        building="building",
        household="household",
    )

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status"], name="matter_community_status_idx"),
            models.Index(fields=["building", "status"], name="matter_building_status_idx"),
            models.Index(fields=["status", "due_at"], name="matter_status_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="merged") | models.Q(merged_into__isnull=False),
                name="matter_merged_has_target",
            ),
            models.CheckConstraint(
                condition=models.Q(building__isnull=True) | models.Q(compound__isnull=False),
                name="matter_building_has_compound",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.text[:20]}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def place(self):
        return self.household or self.building or self.compound or self.community

    @property
    def reporter_contact_masked(self) -> str:
        return mask_phone(self.reporter_contact)


class MatterReporter(models.Model):
    """Everyone who reported the matter: the first reporter and those of merged duplicates."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="reporters")
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="matter_reports"
    )
    name = models.CharField(_("name"), max_length=40, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    from_matter = models.ForeignKey(
        Matter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "resident"],
                condition=models.Q(resident__isnull=False),
                name="matter_reporter_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name or str(self.resident)


# The owner columns of ``MatterOwner``: exactly one of them is set.
OWNER_FIELDS = ("partner_id", "team_id", "organisation_id", "user_id")


class MatterOwner(models.Model):
    """Who is responsible for the matter: exactly one of a partner, a team, an organisation or a
    user account (a grid worker or community staff member, e.g. one who handled it on the spot).
    """

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="owners")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_matters"
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_matters"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_matters"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_matters",
    )
    active = models.BooleanField(default=True)
    is_whistle = models.BooleanField(
        _("whistle"), default=False, help_text=_("A department summoned with a response deadline")
    )
    respond_by = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField()

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        constraints = [
            models.CheckConstraint(
                condition=exactly_one("partner", "team", "organisation", "user"),
                name="matter_owner_exactly_one",
            )
        ]

    def __str__(self) -> str:
        return owner_label(self.actor)

    @property
    def actor(self):
        return self.partner or self.team or self.organisation or self.user


def owner_label(owner) -> str:
    """An owner as people know it: a user account by full name and role, never by username."""
    if isinstance(owner, (Partner, Team, Organisation)):
        return str(owner)
    profile = getattr(owner, "profile", None) if hasattr(owner, "profile") else None
    role = str(profile.get_role_display() if profile else _("administrator"))
    name = owner.get_full_name()
    return f"{name} · {role}" if name else role


def _photo_path(instance, filename: str) -> str:
    return f"matters/{instance.matter_id}/{filename}"


class MatterPhoto(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=_photo_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.image.name


class MatterEvent(HistoryEvent):
    """One row of a matter's history. The database refuses to update or delete it
    (``AppendOnly`` in migration 0003); ``core.services.Transitions`` writes it."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="events")

    class Meta(HistoryEvent.Meta):
        verbose_name = _("matter event")
        verbose_name_plural = _("matter events")

    def __str__(self) -> str:
        return f"{self.matter_id} {self.action}"


class ClassificationCorrection(models.Model):
    """Staff confirmed or corrected the classifier's suggestion; used to retrain."""

    matter = models.OneToOneField(Matter, on_delete=models.CASCADE, related_name="correction")
    text = models.TextField()
    suggested_category = models.CharField(max_length=12, choices=Category.choices, blank=True)
    suggested_tier = models.CharField(max_length=6, choices=Tier.choices, blank=True)
    category = models.CharField(max_length=12, choices=Category.choices)
    tier = models.CharField(max_length=6, choices=Tier.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("classification correction")
        verbose_name_plural = _("classification corrections")

    def __str__(self) -> str:
        return f"{self.matter_id}: {self.category}/{self.tier}"

    @property
    def changed(self) -> bool:
        return (self.category, self.tier) != (self.suggested_category, self.suggested_tier)


class SubmitKey(models.Model):
    """An idempotency key of a submit: a retried submit returns the same matter."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=80)
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="submit_key_unique")]

    def __str__(self) -> str:
        return self.key


class DeadlinePolicy(models.Model):
    """How long a matter may take: per tier and optional category (a category rule wins)."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, null=True, blank=True, related_name="deadline_policies"
    )
    tier = models.CharField(_("tier"), max_length=6, choices=Tier.choices)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, blank=True)
    acknowledge_hours = models.PositiveIntegerField(_("acknowledge within (hours)"), default=24)
    resolve_days = models.PositiveIntegerField(_("resolve within (days)"))
    working_days = models.BooleanField(_("count working days only"), default=False)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "tier", "category"], name="deadline_policy_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.category or '*'}: {self.resolve_days}d"


class ResponsibilityRule(models.Model):
    """责任清单: (tier, optional category) → who is responsible and how they work.

    Rules belong to a community; the most specific matching rule (with a category) wins.
    """

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="responsibility_rules"
    )
    tier = models.CharField(_("tier"), max_length=6, choices=Tier.choices)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, blank=True)
    partner_kinds = models.JSONField(_("partner kinds"), default=list, blank=True)
    roles = models.ManyToManyField("partners.Role", blank=True, verbose_name=_("roles"))
    team_kinds = models.JSONField(_("team kinds"), default=list, blank=True)
    organisation_kinds = models.JSONField(_("organisation kinds"), default=list, blank=True)
    whistle_organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="+", verbose_name=_("whistle to")
    )
    whistle_response_hours = models.PositiveIntegerField(default=72)
    match_skill = models.BooleanField(_("prefer a matching skill"), default=False)
    working_mode = models.CharField(_("working mode"), max_length=10, choices=WorkingMode.choices)
    propose_meeting = models.BooleanField(_("propose to the next meeting"), default=False)
    auto_assign = models.BooleanField(_("assign the best candidate automatically"), default=False)

    class Meta:
        verbose_name = _("responsibility rule")
        verbose_name_plural = _("responsibility rules")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "tier", "category"], name="responsibility_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.category or '*'}"

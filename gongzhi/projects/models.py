"""Micro-projects (微改造 / 微服务 / 微心愿 / 微空间 / 微治理) and the wish board (微心愿).

A project lives in a community, optionally narrowed to a compound and a building (its *scope*:
the residents who may vote on it and rate it). Its stage moves only through the services in
``services.py``; every move appends a ``ProjectEvent``.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.models import HistoryEvent
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import PlacedModel

MAX_TEXT = 2000


class Kind(models.TextChoices):
    MICRO_RENOVATION = "micro_renovation", _("micro-renovation")
    MICRO_SERVICE = "micro_service", _("micro-service")
    MICRO_WISH = "micro_wish", _("micro-wish")
    MICRO_SPACE = "micro_space", _("micro-space")
    MICRO_GOVERNANCE = "micro_governance", _("micro-governance")


class Stage(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    PRE_EVALUATION = "pre_evaluation", _("pre-evaluation")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", pgettext_lazy("project stage", "rejected")
    IN_PROGRESS = "in_progress", pgettext_lazy("project stage", "in progress")
    COMPLETED = "completed", pgettext_lazy("project stage", "completed")
    POST_EVALUATION = "post_evaluation", _("post-evaluation")
    CLOSED = "closed", pgettext_lazy("project stage", "closed")


class Source(models.TextChoices):
    MATTER = "matter", _("a matter")
    DECISION = "decision", _("a meeting decision")
    WISH = "wish", _("a wish")
    STAFF = "staff", _("community staff")


class WishCategory(models.TextChoices):
    ELDERLY = "elderly", _("care for the elderly")
    CHILDREN = "children", _("children and study")
    REPAIR = "repair", _("home repair")
    DAILY = "daily", _("daily life")
    HEALTH = "health", _("health")
    OTHER = "other", _("other")


class WishStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("wish status", "open")
    CLAIMED = "claimed", pgettext_lazy("wish status", "claimed")
    FULFILLED = "fulfilled", _("fulfilled")
    CONFIRMED = "confirmed", _("confirmed")
    WITHDRAWN = "withdrawn", _("withdrawn")


def _photo_path(instance, filename: str) -> str:
    return f"projects/{filename}"


class Wish(PlacedModel):
    """A resident's small wish on the wish board; a partner claims and fulfils it."""

    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="wishes", verbose_name=_("resident")
    )
    text = models.TextField(_("wish"), max_length=500)
    category = models.CharField(_("category"), max_length=10, choices=WishCategory.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=WishStatus.choices, default=WishStatus.OPEN
    )
    posted_at = models.DateTimeField(_("posted at"))
    claimed_by = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_wishes",
        verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    fulfil_note = models.TextField(_("how it was fulfilled"), max_length=1000, blank=True)
    fulfil_photo = models.FileField(_("photo"), upload_to=_photo_path, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("wish")
        verbose_name_plural = _("wishes")
        ordering = ["-posted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open")
                | models.Q(status="withdrawn")
                | models.Q(claimed_by__isnull=False),
                name="wish_claimed_has_partner",
            )
        ]

    def __str__(self) -> str:
        return self.text[:30]


class Project(PlacedModel):
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=MAX_TEXT, blank=True)
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    planner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="planned_projects",
        verbose_name=_("community planner"),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    matter = models.ForeignKey(
        "matters.Matter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("matter"),
    )
    decision = models.ForeignKey(
        "meetings.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("meeting decision"),
    )
    wish = models.OneToOneField(
        Wish,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="project",
        verbose_name=_("wish"),
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.PROPOSED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress %"), default=0, validators=[MaxValueValidator(100)]
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The pre-evaluation's result, frozen at the decision: the basis of approving or rejecting.
    votes_support = models.PositiveIntegerField(_("support"), default=0)
    votes_oppose = models.PositiveIntegerField(_("oppose"), default=0)
    decision_note = models.TextField(
        _("reasoning of the decision"), max_length=MAX_TEXT, blank=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The post-evaluation's result, frozen at closing.
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    rating_average = models.DecimalField(
        _("average rating"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    satisfaction = models.DecimalField(
        _("satisfaction"), max_digits=4, decimal_places=3, null=True, blank=True
    )

    class Meta:
        verbose_name = _("micro-project")
        verbose_name_plural = _("micro-projects")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(building__isnull=True) | models.Q(compound__isnull=False),
                name="project_building_in_compound",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="project_progress_at_most_100"
            ),
        ]
        indexes = [models.Index(fields=["community", "kind", "stage"], name="project_list_idx")]

    def __str__(self) -> str:
        return self.title


class ProjectEvent(HistoryEvent):
    """One row of a project's history (``core.models.HistoryEvent``; the stage before and
    after are ``from_status`` / ``to_status``). The database refuses to update or delete it
    (``AppendOnly`` in migration 0002)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")

    def __str__(self) -> str:
        return f"{self.project_id} {self.action}"

    @property
    def action_label(self) -> str:
        """The action in words for the project's history (the stored slug if unknown)."""
        return str(EVENT_ACTIONS.get(self.action, self.action))


EVENT_ACTIONS = {
    "propose": pgettext_lazy("project event", "proposed"),
    "open_pre_evaluation": pgettext_lazy("project event", "pre-evaluation opened"),
    "approve": pgettext_lazy("project event", "approved"),
    "reject": pgettext_lazy("project event", "rejected"),
    "start": pgettext_lazy("project event", "work started"),
    "supervise": pgettext_lazy("project event", "inspection logged"),
    "co_building": pgettext_lazy("project event", "co-building labour recorded"),
    "complete": pgettext_lazy("project event", "completed"),
    "open_post_evaluation": pgettext_lazy("project event", "post-evaluation opened"),
    "close": pgettext_lazy("project event", "closed"),
    "from_wish": pgettext_lazy("project event", "recorded from a fulfilled wish"),
}


class VoteChoice(models.TextChoices):
    SUPPORT = "support", _("support")
    OPPOSE = "oppose", _("oppose")


class Channel(models.TextChoices):
    ONLINE = "online", _("Gongzhi")
    ZHIYIN = "zhiyin", "汉阳知音"
    WEILINLI = "weilinli", "汉阳微邻里"
    MINQING = "minqing", "民情民意"


class PreVote(models.Model):
    """One resident's view in the pre-evaluation."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="votes")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("vote"), max_length=8, choices=VoteChoice.choices)
    comment = models.TextField(_("comment"), max_length=500, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "resident"], name="one_prevote_per_resident")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.choice}"


class Rating(models.Model):
    """One resident's post-evaluation: 1–5 and a comment."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ratings")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), max_length=500, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "resident"], name="one_rating_per_resident"),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_between_1_and_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.score}"


class SupervisionLog(models.Model):
    """The community planner's inspection: date, progress, problems found."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="logs")
    inspected_on = models.DateField(_("inspection date"))
    progress = models.PositiveSmallIntegerField(_("progress %"))
    problems = models.TextField(_("problems found"), max_length=MAX_TEXT, blank=True)
    note = models.TextField(_("note"), max_length=MAX_TEXT, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["inspected_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="supervision_progress_at_most_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.inspected_on}"


class SupervisionPhoto(models.Model):
    log = models.ForeignKey(SupervisionLog, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=_photo_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.image.name


class CoBuilding(models.Model):
    """A session of residents' and partners' labour on a project; the service records and
    points are written by ``gongzhi.volunteering.co_building_record``."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="co_building")
    date = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("minutes each"))
    participants = models.PositiveIntegerField(pgettext_lazy("co-building labour", "participants"))
    note = models.CharField(_("what was done"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.date}"

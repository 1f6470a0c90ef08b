"""Pre-aggregated rows that the insight pages read instead of scanning matters.

Rows are derived data: ``gongzhi rollup`` (``rollup.py``) writes them and nothing else does.
Deleting them all and running ``gongzhi rollup --full`` rebuilds them exactly.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.places import PlacePaths
from gongzhi.matters.models import Category, Channel, Satisfaction, Status, Tier
from gongzhi.places.models import Building, Community, Compound, Household

# Upper edges (hours) of the histogram buckets; the last bucket is open-ended.
ACK_BUCKET_EDGES = (1, 4, 24, 72)
CLOSE_BUCKET_EDGES = (24, 72, 168, 720)
# Upper edges (hours) of the finer buckets of ``MatterPlaceDay`` that the medians are read
# from: a log scale, so a median is exact to the bucket and interpolated within it. The
# bucket after the last edge (more than 30 days) is open-ended.
TIME_BUCKET_EDGES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720)
# Who gave the rating that counts (``hotline.selectors.satisfaction_sources``).
RATING_SOURCES = ("resident", "hotline")

PLACE_PATHS = PlacePaths(
    subdistrict="community__subdistrict",
    community="community",
    compound="compound",
    building="building",
)


def _count(label):
    return models.PositiveIntegerField(label, default=0)


class MatterDay(models.Model):
    """Counts of the matters *submitted* on ``day`` (local date) at one place × category ×
    tier × channel, as they stand at the last rollup.

    Keyed by the submission day, like the matters list and the three rates, so a period's
    rates are sums of these rows. Compound and building are empty for matters anchored
    higher up. The counts follow ``gongzhi.matters.rates``: everything but ``submitted`` is
    over valid matters only.
    """

    day = models.DateField(_("day"))
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    tier = models.CharField(_("tier"), max_length=6, choices=Tier.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    submitted = _count(_("submitted"))
    valid = _count(_("valid"))
    acknowledged = _count(_("acknowledged"))
    ack_due = _count(_("acknowledge deadline passed or acknowledged"))
    ack_on_time = _count(_("acknowledged on time"))
    resolve_due = _count(_("resolve deadline passed or resolved"))
    resolved_on_time = _count(_("resolved on time"))
    resolved = _count(_("resolved"))
    closed = _count(_("closed"))
    rated = _count(_("rated"))
    satisfied = _count(_("satisfied"))
    basic = _count(_("basically satisfied"))
    dissatisfied = _count(_("dissatisfied"))
    overdue = _count(_("overdue"))
    bounced = _count(_("bounced"))
    multi_actor = _count(_("handled by several kinds of actor"))
    ack_hours_sum = models.FloatField(default=0)
    ack_hours_count = _count(_("acknowledged with a time"))
    close_hours_sum = models.FloatField(default=0)
    close_hours_count = _count(_("closed with a time"))
    ack_h0 = _count("≤1h")
    ack_h1 = _count("1–4h")
    ack_h2 = _count("4–24h")
    ack_h3 = _count("24–72h")
    ack_h4 = _count(">72h")
    close_h0 = _count("≤1d")
    close_h1 = _count("1–3d")
    close_h2 = _count("3–7d")
    close_h3 = _count("7–30d")
    close_h4 = _count(">30d")

    PLACE = PLACE_PATHS

    class Meta:
        verbose_name = _("matter rollup row")
        verbose_name_plural = _("matter rollup rows")
        ordering = ["day", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "building", "category", "tier", "channel"],
                condition=models.Q(building__isnull=False),
                name="matterday_building_unique",
            ),
            models.UniqueConstraint(
                fields=["day", "compound", "category", "tier", "channel"],
                condition=models.Q(building__isnull=True, compound__isnull=False),
                name="matterday_compound_unique",
            ),
            models.UniqueConstraint(
                fields=["day", "community", "category", "tier", "channel"],
                condition=models.Q(compound__isnull=True),
                name="matterday_community_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(building__isnull=True) | models.Q(compound__isnull=False),
                name="matterday_building_has_compound",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "day"], name="matterday_community_day_idx"),
            models.Index(fields=["day"], name="matterday_day_idx"),
            models.Index(fields=["compound", "day"], name="matterday_compound_day_idx"),
            models.Index(fields=["building", "day"], name="matterday_building_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.community_id}/{self.compound_id}/{self.building_id}"


class MatterPlaceDay(models.Model):
    """The matters *submitted* on ``day`` at one compound (or, anchored higher up, at one
    community: ``compound`` empty), as they stand at the last rollup: ``MatterDay``'s counts
    summed over buildings, categories, tiers and channels, plus what the subdistrict's
    dashboards read beside them — the matters by category, tier, channel and status, the
    ratings by who gave them, and the times to acknowledge and to close in
    ``TIME_BUCKET_EDGES`` buckets (valid matters, as ``rates.median_hours``).

    About a hundred times fewer rows than ``MatterDay`` at district scale (one per compound
    and day instead of one per building, category, tier and channel), so a year of a whole
    subdistrict is a few hundred thousand rows at most. The columns named by
    ``PLACE_DAY_COLUMNS`` are added below the class.
    """

    day = models.DateField(_("day"))
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    PLACE = PlacePaths(
        subdistrict="community__subdistrict", community="community", compound="compound"
    )

    class Meta:
        verbose_name = _("matter rollup row per place")
        verbose_name_plural = _("matter rollup rows per place")
        ordering = ["day", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "compound"],
                condition=models.Q(compound__isnull=False),
                name="matterplaceday_compound_unique",
            ),
            models.UniqueConstraint(
                fields=["day", "community"],
                condition=models.Q(compound__isnull=True),
                name="matterplaceday_community_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["day"], name="matterplaceday_day_idx"),
            models.Index(fields=["community", "day"], name="matterplaceday_comm_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.community_id}/{self.compound_id}"


def _place_day_columns() -> dict[str, models.Field]:
    """The count columns of ``MatterPlaceDay``, by name."""
    columns: dict[str, models.Field] = {}
    for field in MatterDay._meta.fields:
        if field.get_internal_type() in ("PositiveIntegerField", "FloatField"):
            columns[field.name] = field.clone()
    for prefix, choices in (
        ("category", Category),
        ("tier", Tier),
        ("channel", Channel),
        ("status", Status),
    ):
        for value in choices.values:
            columns[f"{prefix}_{value}"] = _count(f"{prefix} {value}")
    for source in RATING_SOURCES:
        for value in Satisfaction.values:
            columns[f"rating_{source}_{value}"] = _count(f"{source}: {value}")
    for measure in ("ack", "close"):
        for i in range(len(TIME_BUCKET_EDGES) + 1):
            columns[f"{measure}_b{i}"] = _count(f"{measure} bucket {i}")
    return columns


PLACE_DAY_COLUMNS = tuple(_place_day_columns())
for _name, _field in _place_day_columns().items():
    MatterPlaceDay.add_to_class(_name, _field)


class HouseholdDay(models.Model):
    """A household that reported a matter submitted on ``day`` (for the participation
    indicator: distinct households over a period, without scanning matters)."""

    day = models.DateField(_("day"))
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+")

    PLACE = PlacePaths(
        subdistrict="community__subdistrict",
        community="community",
        compound="compound",
        building="building",
        household="household",
    )

    class Meta:
        verbose_name = _("household taking part")
        verbose_name_plural = _("households taking part")
        constraints = [
            models.UniqueConstraint(fields=["day", "household"], name="householdday_unique")
        ]
        indexes = [models.Index(fields=["community", "day"], name="householdday_comm_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.household_id}"


class RollupState(models.Model):
    """Where a rollup step stopped: the last ``MatterEvent`` id it processed and when."""

    name = models.CharField(max_length=40, unique=True)
    watermark = models.BigIntegerField(default=0)
    ran_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name}: {self.watermark}"


class IndexMonth(models.Model):
    """The holistic-governance index (``index.index_for``) of one scope over one month, or
    over the year to date, as ``gongzhi rollup`` last computed it.

    ``scope`` is the place as written in URLs (``community:3``, ``compound:7``,
    ``subdistrict:1``) or ``""`` for all data. The month rows run from the first to the last
    day of the month (the current month: to ``computed_on``). A row answers for
    ``index_for(scope, Period(since, until), today=day)`` when ``until < computed_on`` (then
    ``day`` changes nothing) or ``day == computed_on``; otherwise the page computes.
    """

    scope = models.CharField(max_length=40, blank=True)
    since = models.DateField()
    until = models.DateField()
    computed_on = models.DateField()
    score = models.FloatField(null=True, blank=True)
    subjects = models.FloatField(null=True, blank=True)
    responsibility = models.FloatField(null=True, blank=True)
    goals = models.FloatField(null=True, blank=True)
    action = models.FloatField(null=True, blank=True)
    indicators = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("stored index")
        verbose_name_plural = _("stored indexes")
        constraints = [
            models.UniqueConstraint(fields=["scope", "since", "until"], name="indexmonth_unique")
        ]
        indexes = [models.Index(fields=["since", "scope"], name="indexmonth_since_scope_idx")]

    def __str__(self) -> str:
        return f"{self.scope or '*'} {self.since}–{self.until}"


class ScopeSnapshot(models.Model):
    """What ``gongzhi rollup`` stored for one large scope (all data, or a subdistrict) over one
    period, in one language (``periods.store_snapshots`` writes, ``periods.latest_snapshot``
    reads). The stored JSON is the subclass's own column.

    ``version`` is the ``ran_at`` of the rollup run that wrote the row; a page uses a row only
    while it is the latest run's (``RollupState("matters").ran_at``), so it never shows
    anything older than the rollup rows beside it. Derived data, like the rest.
    """

    scope = models.CharField(_("scope"), max_length=40, blank=True)
    since = models.DateField(_("from"))
    until = models.DateField(_("to"))
    language = models.CharField(_("language"), max_length=10)
    version = models.DateTimeField(_("rollup run"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.scope or '*'} {self.since}–{self.until} {self.language}"


class FiguresSnapshot(ScopeSnapshot):
    """The dashboard's figures (``snapshot.roll_figures``)."""

    data = models.JSONField(_("figures"), encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("figures snapshot")
        verbose_name_plural = _("figures snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "since", "until", "language"], name="figures_snapshot_unique"
            )
        ]


class DiagnosticsSnapshot(ScopeSnapshot):
    """The fragmentation diagnostics' findings (``diagnostics_store.roll_diagnostics``), read
    by the page, its export and the API."""

    findings = models.JSONField(_("findings"), encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("diagnostics snapshot")
        verbose_name_plural = _("diagnostics snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "since", "until", "language"],
                name="diagnostics_snapshot_unique",
            )
        ]


class ReportJob(models.Model):
    """An annual report (``.docx``) someone asked for, prepared by ``gongzhi worker`` (job
    ``annual_reports``) and offered for download on the report page: drawing its charts takes
    seconds, too long to keep a request waiting. Only the person who asked sees or downloads
    it (``insights.report_jobs``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being prepared")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("requested by"),
    )
    #: ``Place`` key ("community:3"); empty for all the user may see.
    place = models.CharField(_("place"), max_length=40, blank=True)
    place_name = models.CharField(_("place name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content = models.BinaryField(_("file"), blank=True, default=b"")
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("annual report job")
        verbose_name_plural = _("annual report jobs")
        indexes = [
            models.Index(fields=["status", "created_at"], name="insights_reportjob_queue"),
            models.Index(fields=["requested_by", "-created_at"], name="insights_reportjob_mine"),
        ]

    def __str__(self) -> str:
        return f"{self.place_name} {self.year} ({self.status})"

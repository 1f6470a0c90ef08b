"""Honours: verified residents, "身边好人" elections, honour rolls and the talent pool.

Elections keep the roll of who voted (``Participation``) apart from the ballot box
(``Ballot``): a ballot has a random UUID key, the election and the choices — no resident, no
user, no timestamp — so nothing in the database joins a ballot to a person. Both rows are
written in one transaction, so the two counts are always equal.

Honour rolls are snapshots: ``rows`` is the JSON computed when the roll was built; once
published the roll is frozen (services refuse changes) and a rebuild makes a new draft.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import HistoryEvent
from gongzhi.core.places import PlacePaths
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Community

COMMUNITY_PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")
MIN_PUBLICITY_DAYS = 5


# ---- verified residents -----------------------------------------------------------------------


class VerificationMethod(models.TextChoices):
    COMMITTEE = "committee", _("checked by the residents' committee")
    ID_CARD = "id_card", _("ID card shown")


class ResidentVerification(models.Model):
    """A resident whose identity staff have checked: only verified residents vote."""

    resident = models.OneToOneField(
        Resident,
        on_delete=models.CASCADE,
        related_name="verification",
        verbose_name=_("resident"),
    )
    method = models.CharField(
        pgettext_lazy("verification", "method"), max_length=10, choices=VerificationMethod.choices
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"))

    PLACE = PlacePaths(
        subdistrict="resident__household__unit__building__compound__community__subdistrict",
        community="resident__household__unit__building__compound__community",
        compound="resident__household__unit__building__compound",
        building="resident__household__unit__building",
        household="resident__household",
    )

    class Meta:
        verbose_name = _("resident verification")
        verbose_name_plural = _("resident verifications")
        ordering = ["-verified_at", "-id"]

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_method_display()}"


# ---- elections ----------------------------------------------------------------------------


class ElectionStatus(models.TextChoices):
    NOMINATION = "nomination", _("nomination")
    SCREENING = "screening", _("screening")
    VOTING = "voting", _("voting")
    ASSESSMENT = "assessment", _("assessment")
    PUBLICITY = "publicity", _("publicity")
    PUBLISHED = "published", _("published")


class GoodPersonCategory(models.TextChoices):
    HELPING = "helping", _("helping others")
    BRAVERY = "bravery", _("acting bravely for a just cause")
    HONESTY = "honesty", _("honesty and trustworthiness")
    DEDICATION = "dedication", _("dedication to work")
    FILIAL = "filial", _("filial piety and family love")


class Election(models.Model):
    """A "身边好人" election of a community. See docs/honours.md for the steps and weights."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    title = models.CharField(_("title"), max_length=100)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ElectionStatus.choices,
        default=ElectionStatus.NOMINATION,
    )
    max_choices = models.PositiveSmallIntegerField(_("at most choices per ballot"))
    seats = models.PositiveSmallIntegerField(_("people to honour"))
    vote_from = models.DateField(_("voting opens"))
    vote_to = models.DateField(_("voting closes"))
    vote_weight = models.PositiveSmallIntegerField(
        _("weight of the vote (%)"),
        default=40,
        help_text=_("The committee's score weighs the rest"),
    )
    publicity_days = models.PositiveSmallIntegerField(
        _("days of publicity"), default=MIN_PUBLICITY_DAYS
    )
    eligible = models.PositiveIntegerField(
        _("verified residents when voting closed"), null=True, blank=True
    )
    publicity_from = models.DateField(_("publicity from"), null=True, blank=True)
    publicity_until = models.DateField(_("publicity until"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    PLACE = COMMUNITY_PLACE

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        ordering = ["-vote_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_choices__gte=1), name="honours_election_max_choices"
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="honours_election_seats"),
            models.CheckConstraint(
                condition=Q(vote_to__gte=models.F("vote_from")),
                name="honours_election_window",
            ),
            models.CheckConstraint(
                condition=Q(vote_weight__lte=100), name="honours_election_weight"
            ),
            models.CheckConstraint(
                condition=Q(publicity_days__gte=MIN_PUBLICITY_DAYS),
                name="honours_election_publicity_days",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def score_weight(self) -> int:
        return 100 - self.vote_weight


class Screening(models.TextChoices):
    PENDING = "pending", _("awaiting screening")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", pgettext_lazy("nomination", "rejected")


class Candidate(models.Model):
    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="candidates", verbose_name=_("election")
    )
    name = models.CharField(_("name"), max_length=40)
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.CharField(_("category"), max_length=12, choices=GoodPersonCategory.choices)
    deeds = models.TextField(_("deeds"), max_length=2000)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    screening = models.CharField(
        _("screening"), max_length=10, choices=Screening.choices, default=Screening.PENDING
    )
    screening_note = models.CharField(_("screening note"), max_length=200, blank=True)
    votes = models.PositiveIntegerField(pgettext_lazy("election", "votes"), null=True, blank=True)
    committee_score = models.PositiveSmallIntegerField(_("committee score"), null=True, blank=True)
    combined_score = models.FloatField(_("combined score"), null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    elected = models.BooleanField(_("honoured"), default=False)

    PLACE = PlacePaths(
        subdistrict="election__community__subdistrict", community="election__community"
    )

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["election", "category", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(committee_score__isnull=True) | Q(committee_score__lte=100),
                name="honours_candidate_score_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Participation(models.Model):
    """Who voted, and on which day (no time of day: it would match ballots by order)."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="participations")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    voted_on = models.DateField()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["election", "resident"], name="honours_one_vote_per_resident"
            )
        ]

    def __str__(self) -> str:
        return f"{self.election_id} · {self.resident_id}"


class Ballot(models.Model):
    """A secret ballot: a random key, the election and the chosen candidate ids. Nothing
    else — no resident, no user, no timestamp (tests check that no relation is added)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="ballots")
    choices = models.JSONField()

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")

    def __str__(self) -> str:
        return str(self.id)


class Objection(models.Model):
    """An objection raised during publicity; the author may stay anonymous."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="objections")
    candidate = models.ForeignKey(
        Candidate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="objections",
        verbose_name=_("candidate"),
    )
    text = models.TextField(_("objection"), max_length=2000)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_on = models.DateField(_("raised on"))
    handled = models.BooleanField(_("handled"), default=False)
    upheld = models.BooleanField(_("upheld"), default=False)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:40]


class ElectionEvent(HistoryEvent):
    """History of an election (``core.models.HistoryEvent``): one row per transition. The
    database refuses to update or delete it (``AppendOnly`` in migration 0002)."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="events")

    def __str__(self) -> str:
        return f"{self.election_id} {self.action}"


# ---- honour rolls -------------------------------------------------------------------------


class Period(models.TextChoices):
    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("quarterly")
    YEAR = "year", _("yearly")


class Metric(models.TextChoices):
    HOURS = "hours", _("approved service hours")
    POINTS = "points", _("points earned")


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month, quarter or year that contains ``day``."""
    if period == Period.MONTH:
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    elif period == Period.QUARTER:
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        end = (start + dt.timedelta(days=95)).replace(day=1) - dt.timedelta(days=1)
    elif period == Period.YEAR:
        start, end = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    else:
        raise ValueError(period)
    return start, end


def period_label(period: str, start: dt.date) -> str:
    if period == Period.MONTH:
        return gettext("%(year)d-%(month)02d") % {"year": start.year, "month": start.month}
    if period == Period.QUARTER:
        quarter = (start.month - 1) // 3 + 1
        return gettext("%(year)d Q%(quarter)d") % {"year": start.year, "quarter": quarter}
    return gettext("%(year)d") % {"year": start.year}


class HonourRule(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=60)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    metric = models.CharField(_("measured by"), max_length=8, choices=Metric.choices)
    top_n = models.PositiveSmallIntegerField(_("top"), default=10)
    minimum = models.PositiveIntegerField(
        _("minimum"), default=1, help_text=_("Hours or points needed to appear on the roll")
    )
    active = models.BooleanField(_("active"), default=True)

    PLACE = COMMUNITY_PLACE

    class Meta:
        verbose_name = _("honour rule")
        verbose_name_plural = _("honour rules")
        ordering = ["community", "period", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(top_n__gte=1, top_n__lte=200), name="honours_rule_top_n"
            ),
            models.UniqueConstraint(fields=["community", "name"], name="honours_rule_name"),
        ]

    def __str__(self) -> str:
        return self.name


class RollStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class HonourRoll(models.Model):
    """A 光荣榜: the rule's ranking over one period, frozen as JSON rows.

    ``rows``: ``[{"rank", "name", "kind" ("resident"|"partner"), "value"}]`` where value is
    hours (one decimal) or points.
    """

    rule = models.ForeignKey(
        HonourRule, on_delete=models.PROTECT, related_name="rolls", verbose_name=_("rule")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    metric = models.CharField(_("measured by"), max_length=8, choices=Metric.choices)
    rows = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=RollStatus.choices, default=RollStatus.DRAFT
    )
    built_at = models.DateTimeField(_("built at"))
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    PLACE = COMMUNITY_PLACE

    class Meta:
        verbose_name = _("honour roll")
        verbose_name_plural = _("honour rolls")
        ordering = ["-period_start", "rule", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "period_start"],
                condition=Q(status="published"),
                name="honours_one_published_roll",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", published_at__isnull=True)
                | Q(status="published", published_at__isnull=False),
                name="honours_roll_published_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} · {self.label}"

    @property
    def label(self) -> str:
        return period_label(self.rule.period, self.period_start)

    @property
    def unit(self) -> str:
        return gettext("hours") if self.metric == Metric.HOURS else gettext("points")


# ---- talent pool --------------------------------------------------------------------------


class TalentProfile(models.Model):
    """An entry of the 先进典型人才资源库: a partner or a resident, their field and story."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=40)
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    field = models.CharField(_("field"), max_length=40)
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    story = models.TextField(_("story"), max_length=4000, blank=True)
    photo = models.FileField(_("photo"), upload_to="honours/talent/", blank=True)
    added_on = models.DateField(_("added on"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    PLACE = COMMUNITY_PLACE

    class Meta:
        verbose_name = _("talent profile")
        verbose_name_plural = _("talent profiles")
        ordering = ["community", "field", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(partner__isnull=False),
                name="honours_talent_is_a_person",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RecommendLevel(models.TextChoices):
    SUBDISTRICT = "subdistrict", _("subdistrict")
    DISTRICT = "district", _("district")
    CITY = "city", _("city")


class RecommendOutcome(models.TextChoices):
    PENDING = "pending", _("pending")
    AWARDED = "awarded", _("awarded")
    NOT_AWARDED = "not_awarded", _("not awarded")


class Recommendation(models.Model):
    """A person recommended upward as 先进个人 (an advanced individual)."""

    profile = models.ForeignKey(
        TalentProfile,
        on_delete=models.CASCADE,
        related_name="recommendations",
        verbose_name=_("talent profile"),
    )
    title = models.CharField(_("title"), max_length=60, default="先进个人")
    level = models.CharField(
        pgettext_lazy("recommendation", "level"), max_length=12, choices=RecommendLevel.choices
    )
    year = models.PositiveSmallIntegerField(_("year"))
    outcome = models.CharField(
        _("outcome"),
        max_length=12,
        choices=RecommendOutcome.choices,
        default=RecommendOutcome.PENDING,
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    PLACE = PlacePaths(
        subdistrict="profile__community__subdistrict", community="profile__community"
    )

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["-year", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "level", "year"], name="honours_one_recommendation"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="honours_recommendation_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile} · {self.get_level_display()} {self.year}"

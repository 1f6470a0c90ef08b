"""Visits (走访) and the care register (关爱对象) of people who need regular ones.

A visit is one call by one worker (a grid worker, a building leader, staff) at exactly one
place: a household, a building (its corridors, stairwells) or a public spot of the map (a bike
shed, a fire lane, a gate): what kind of visit, what was found, an optional photo, and the
matter it raised, if any. Only household visits count for coverage (覆盖率 is about households).

A care subject is a resident who needs visiting every ``frequency_days`` days, for a reason
from a controlled list (the reasons are sensitive: see ``rules.py``). ``last_visited_on`` and
``next_due_on`` are kept by the services (a care visit to the household moves both), so the
to-do, the day list and the sweep read due dates from one indexed column instead of
recomputing them from every visit.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.fields import exactly_one
from gongzhi.core.places import PlacePaths
from gongzhi.maps.models import Spot
from gongzhi.matters.models import Matter
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Household

MAX_FOUND_LENGTH = 2000
MAX_FREQUENCY_DAYS = 366


class VisitKind(models.TextChoices):
    ROUTINE = "routine", _("routine visit")
    CARE = "care", _("care visit")
    FOLLOW_UP = "follow_up", _("follow-up of a matter")
    CHECK = "check", _("epidemic or safety check")
    OTHER = "other", _("other visit")


class VisitTarget(models.TextChoices):
    HOUSEHOLD = "household", pgettext_lazy("visit target", "household")
    BUILDING = "building", pgettext_lazy("visit target", "building")
    SPOT = "spot", pgettext_lazy("visit target", "public area")


class Visit(models.Model):
    # Exactly one of the three (a database check): where the visitor went.
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("household"),
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("building"),
    )
    # PROTECT: a map re-import must not silently drop the visits made at its spots.
    spot = models.ForeignKey(
        Spot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("public spot"),
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("visitor"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=VisitKind.choices)
    found = models.TextField(_("what was found"), max_length=MAX_FOUND_LENGTH)
    visited_at = models.DateTimeField(_("visited at"), db_index=True)
    photo = models.FileField(_("photo"), upload_to="visits/%Y/%m/", blank=True)
    matter = models.ForeignKey(
        Matter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("matter raised"),
    )
    # A retried send from a phone in a stairwell must not record the visit twice.
    client_key = models.CharField(max_length=80, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # The place paths of a household visit. ``restrict``/``narrow`` know one path per level, so
    # visits are scoped with ``rules.visit_place_q``, which adds the building and spot paths.
    PLACE = PlacePaths(
        subdistrict="household__unit__building__compound__community__subdistrict",
        community="household__unit__building__compound__community",
        compound="household__unit__building__compound",
        building="household__unit__building",
        household="household",
    )
    BUILDING_PLACE = PlacePaths(
        subdistrict="building__compound__community__subdistrict",
        community="building__compound__community",
        compound="building__compound",
        building="building",
    )
    SPOT_PLACE = PlacePaths(
        subdistrict="spot__community__subdistrict",
        community="spot__community",
        compound="spot__compound",
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one("household", "building", "spot"),
                name="visit_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=["visitor", "client_key"],
                condition=~models.Q(client_key=""),
                name="visit_client_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["household", "-visited_at"], name="visit_household_idx")]

    def __str__(self) -> str:
        where = self.household_id or self.building_id or self.spot_id
        return f"{self.target}:{where} @ {self.visited_at:%Y-%m-%d}"

    @property
    def target(self) -> str:
        if self.household_id:
            return VisitTarget.HOUSEHOLD
        return VisitTarget.BUILDING if self.building_id else VisitTarget.SPOT

    @property
    def target_label(self) -> str:
        """Where the visit was, for lists: the household's address, "小区 3栋", or the spot."""
        if self.household_id:
            return self.household.label
        if self.building_id:
            return f"{self.building.compound.name} {self.building.name}"
        compound = self.spot.compound
        return f"{compound.name} {self.spot.name}" if compound else self.spot.name


class CareReason(models.TextChoices):
    ALONE = "alone", _("elderly living alone")
    EMPTY_NEST = "empty_nest", _("empty-nest elderly")
    OLDEST = "oldest", _("very old (80+)")
    DISABLED = "disabled", _("person with a disability")
    SUBSISTENCE = "subsistence", _("subsistence allowance household")
    LEFT_BEHIND = "left_behind", _("left-behind child")
    CHILD_IN_NEED = "child_in_need", _("child in difficulty")
    SERIOUSLY_ILL = "seriously_ill", _("seriously ill")
    VETERAN = "veteran", _("veteran entitled to special care")
    OTHER = "other", _("other reason")


class CareSubjectQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class CareSubject(models.Model):
    resident = models.OneToOneField(
        Resident, on_delete=models.PROTECT, related_name="care", verbose_name=_("resident")
    )
    reason = models.CharField(_("reason"), max_length=16, choices=CareReason.choices)
    frequency_days = models.PositiveSmallIntegerField(_("visit every (days)"))
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="care_subjects", verbose_name=_("visitors")
    )
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    active = models.BooleanField(_("active"), default=True)
    registered_on = models.DateField(_("registered on"))
    last_visited_on = models.DateField(_("last visited on"), null=True, blank=True)
    next_due_on = models.DateField(_("next visit due"), db_index=True)
    # The due day whose miss was reported to staff: one escalation per missed period.
    escalated_due_on = models.DateField(null=True, blank=True, editable=False)

    objects = CareSubjectQuerySet.as_manager()

    PLACE = PlacePaths(
        subdistrict="resident__household__unit__building__compound__community__subdistrict",
        community="resident__household__unit__building__compound__community",
        compound="resident__household__unit__building__compound",
        building="resident__household__unit__building",
        household="resident__household",
    )

    class Meta:
        verbose_name = _("care subject")
        verbose_name_plural = _("care subjects")
        ordering = ["next_due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(frequency_days__gt=0)
                & models.Q(frequency_days__lte=MAX_FREQUENCY_DAYS),
                name="care_frequency_positive",
            )
        ]

    def __str__(self) -> str:
        return str(self.resident)

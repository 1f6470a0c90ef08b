"""The place tree: 街道 subdistrict → 社区 community → 小区 compound → 楼栋 building → 单元 unit → 户
household, and 网格 grids, each a set of buildings of one community."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.naturalsort import natural_key
from gongzhi.core.places import PlacePaths


class Subdistrict(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    PLACE = PlacePaths(subdistrict="id", community="communities")

    class Meta:
        verbose_name = _("subdistrict")
        verbose_name_plural = _("subdistricts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.PROTECT,
        related_name="communities",
        verbose_name=_("subdistrict"),
    )
    name = models.CharField(_("name"), max_length=60)

    PLACE = PlacePaths(subdistrict="subdistrict", community="id")

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["subdistrict", "name"], name="community_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Compound(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="compounds", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=60)

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community", compound="id")

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="compound_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=60)

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="grid_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("compound")
    )
    grid = models.ForeignKey(
        Grid,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="buildings",
        verbose_name=_("grid"),
    )
    name = models.CharField(_("name"), max_length=30, help_text=_("For example 3栋"))
    number = models.PositiveIntegerField(_("number"), default=0, help_text=_("Sort order"))

    PLACE = PlacePaths(
        subdistrict="compound__community__subdistrict",
        community="compound__community",
        compound="compound",
        building="id",
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["compound", "number", "name"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "name"], name="building_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} {self.name}"

    def sort_key(self) -> tuple:
        """Within a compound: by the sort number staff gave, then naturally by name (imported
        buildings have no number, and 10栋 must follow 2栋)."""
        return (self.number, natural_key(self.name))


class Unit(models.Model):
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="units", verbose_name=_("building")
    )
    name = models.CharField(_("name"), max_length=30, help_text=_("For example 2单元"))
    number = models.PositiveIntegerField(_("number"), default=0)

    PLACE = PlacePaths(
        subdistrict="building__compound__community__subdistrict",
        community="building__compound__community",
        compound="building__compound",
        building="building",
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "number", "name"]
        constraints = [
            models.UniqueConstraint(fields=["building", "name"], name="unit_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.name}"


class HouseholdQuerySet(models.QuerySet):
    def with_place(self):
        return self.select_related("unit__building__compound")


class Household(models.Model):
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="households", verbose_name=_("unit")
    )
    room = models.CharField(_("room"), max_length=20, help_text=_("For example 502"))

    objects = HouseholdQuerySet.as_manager()

    PLACE = PlacePaths(
        subdistrict="unit__building__compound__community__subdistrict",
        community="unit__building__compound__community",
        compound="unit__building__compound",
        building="unit__building",
        household="id",
    )

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["unit", "room"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "room"], name="household_room_unique")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The address residents use: "渔家苑 3栋2单元502"."""
        unit = self.unit
        building = unit.building
        return f"{building.compound.name} {building.name}{unit.name}{self.room}"


def _narrowing(place: type[models.Model], verbose_name: Any) -> models.ForeignKey:
    """An optional place column of the placed-model bases below; a place in use cannot be
    deleted (``PROTECT``)."""
    return models.ForeignKey(
        place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


class PlacedModel(models.Model):
    """A record anchored at a community, optionally narrowed to a compound and a building."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    compound = _narrowing(Compound, _("compound"))
    building = _narrowing(Building, _("building"))

    PLACE = PlacePaths(
        subdistrict="community__subdistrict",
        community="community",
        compound="compound",
        building="building",
    )

    class Meta:
        abstract = True

    @property
    def scope(self):
        """The most specific place of the record: its building, compound or community."""
        return self.building or self.compound or self.community

    @property
    def scope_label(self) -> str:
        if self.building_id:
            return f"{self.compound.name} {self.building.name}"
        if self.compound_id:
            return self.compound.name
        return self.community.name


class SubdistrictPlacedModel(models.Model):
    """A record anchored at a subdistrict, optionally narrowed to a community, a compound and a
    building of it (``PlacedModel`` when the community is always known): for records that may
    stand for the whole subdistrict, such as its Party working committee. Which of the three
    are filled is for the model to constrain."""

    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, related_name="+", verbose_name=_("subdistrict")
    )
    community = _narrowing(Community, _("community"))
    compound = _narrowing(Compound, _("compound"))
    building = _narrowing(Building, _("building"))

    PLACE = PlacePaths(
        subdistrict="subdistrict",
        community="community",
        compound="compound",
        building="building",
    )

    class Meta:
        abstract = True

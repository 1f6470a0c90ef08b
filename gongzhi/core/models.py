"""Shared model bases."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.places import PlacePaths
from gongzhi.places.models import Building, Community, Compound


class PlacedModel(models.Model):
    """A record anchored at a community, optionally narrowed to a compound and a building."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("compound"),
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )

    PLACE = PlacePaths(
        subdistrict="community__subdistrict",
        community="community",
        compound="compound",
        building="building",
    )

    class Meta:
        abstract = True

    @property
    def scope_label(self) -> str:
        if self.building_id:
            return f"{self.compound.name} {self.building.name}"
        if self.compound_id:
            return self.compound.name
        return self.community.name

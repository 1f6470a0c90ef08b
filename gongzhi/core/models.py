"""Shared model bases."""

from django.conf import settings
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


class HistoryEvent(models.Model):
    """One row of a record's history, the same shape in every app: when, who, what, the state
    before and after, a note and structured data. Subclasses add the foreign key to what the
    history is of (``matter``, ``case``, …) and a migration with ``core.appendonly.AppendOnly``:
    rows are never updated or deleted. ``core.services.Transitions`` writes them."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

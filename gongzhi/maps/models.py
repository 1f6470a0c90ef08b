"""The geometry of a community's places, imported from GeoJSON (docs/maps.md).

Each compound, grid, building and public spot has at most one ``Shape``: its GeoJSON geometry
as imported, plus its bounding box. ``CommunityMap`` says which coordinate system the shapes of
a community use (WGS84 longitude/latitude, or a local plan in metres) and who imported them.
Public spots (gates, squares, parking areas) exist only on the map, so they are created by the
import too.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.places import PlacePaths
from gongzhi.places.models import Building, Community, Compound, Grid


class Crs(models.TextChoices):
    WGS84 = "wgs84", _("longitude and latitude (WGS84)")
    LOCAL = "local", _("local plan in metres")


class CommunityMap(models.Model):
    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, related_name="map", verbose_name=_("community")
    )
    crs = models.CharField(_("coordinates"), max_length=8, choices=Crs.choices)
    imported_at = models.DateTimeField(_("imported at"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("community map")
        verbose_name_plural = _("community maps")

    def __str__(self) -> str:
        return str(self.community)


class SpotKind(models.TextChoices):
    GATE = "gate", _("gate")
    SQUARE = "square", _("square")
    PARKING = "parking", _("parking area")
    OTHER = "other", _("other spot")


class Spot(models.Model):
    """A public spot of a community, inside a compound or between them (a riverside square)."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="spots", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="spots",
        verbose_name=_("compound"),
    )
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=8, choices=SpotKind.choices)

    PLACE = PlacePaths(
        subdistrict="community__subdistrict", community="community", compound="compound"
    )

    class Meta:
        verbose_name = _("public spot")
        verbose_name_plural = _("public spots")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="spot_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    COMPOUND = "compound", _("compound")
    GRID = "grid", _("grid")
    BUILDING = "building", _("building")
    SPOT = "spot", _("public spot")


class Shape(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="shapes", verbose_name=_("community")
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    compound = models.OneToOneField(
        Compound, on_delete=models.CASCADE, null=True, blank=True, related_name="shape"
    )
    grid = models.OneToOneField(
        Grid, on_delete=models.CASCADE, null=True, blank=True, related_name="shape"
    )
    building = models.OneToOneField(
        Building, on_delete=models.CASCADE, null=True, blank=True, related_name="shape"
    )
    spot = models.OneToOneField(
        Spot, on_delete=models.CASCADE, null=True, blank=True, related_name="shape"
    )
    geometry = models.JSONField(_("geometry"))
    min_x = models.FloatField()
    min_y = models.FloatField()
    max_x = models.FloatField()
    max_y = models.FloatField()

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("shape")
        verbose_name_plural = _("shapes")
        constraints = [
            # Exactly the place named by ``level`` is set.
            models.CheckConstraint(
                condition=(
                    Q(
                        level="compound",
                        compound__isnull=False,
                        grid__isnull=True,
                        building__isnull=True,
                        spot__isnull=True,
                    )
                    | Q(
                        level="grid",
                        compound__isnull=True,
                        grid__isnull=False,
                        building__isnull=True,
                        spot__isnull=True,
                    )
                    | Q(
                        level="building",
                        compound__isnull=True,
                        grid__isnull=True,
                        building__isnull=False,
                        spot__isnull=True,
                    )
                    | Q(
                        level="spot",
                        compound__isnull=True,
                        grid__isnull=True,
                        building__isnull=True,
                        spot__isnull=False,
                    )
                ),
                name="shape_one_place",
            ),
            models.CheckConstraint(
                condition=Q(min_x__lte=models.F("max_x"), min_y__lte=models.F("max_y")),
                name="shape_bbox_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.pk}"

"""Reads of the map: a community's shapes as a FeatureCollection with one figure per place.

A layer is a figure per building (open matters, overdue matters; visit coverage and care visits
due come from the visits app through ``LAYER_SOURCES``), summed or recomputed per grid and compound, with the list behind each place. Each layer
costs one grouped query (coverage two) whatever the number of buildings; the whole map is a
fixed number of queries (pinned in tests/test_maps.py).
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.maps import rules
from gongzhi.maps.models import CommunityMap, Crs, Level, Shape
from gongzhi.matters.models import OPEN_STATUSES, Matter
from gongzhi.matters.rules import matters_visible
from gongzhi.matters.selectors import late_q
from gongzhi.places.models import Community

if TYPE_CHECKING:  # django-stubs is a test dependency
    from django_stubs_ext import StrOrPromise

# A sequential scale from "nothing to do" (pale green) to "needs attention" (dark red): the
# steps differ in lightness too, so they stay apart without relying on hue alone.
SCALE = ("#e8f1ea", "#fde9a9", "#f9b769", "#ec7a4a", "#c8322f")


@dataclass(frozen=True)
class Piece:
    low: float  # included
    high: float | None  # excluded; None: no upper bound
    colour: str
    label: str


def _count_pieces() -> list[Piece]:
    return [
        Piece(0, 1, SCALE[0], "0"),
        Piece(1, 2, SCALE[1], "1"),
        Piece(2, 4, SCALE[2], "2–3"),
        Piece(4, 8, SCALE[3], "4–7"),
        Piece(8, None, SCALE[4], "≥ 8"),
    ]


def piece_of(pieces: list[Piece], value: float | None) -> Piece | None:
    if value is None:
        return None
    for piece in pieces:
        if value >= piece.low and (piece.high is None or value < piece.high):
            return piece
    return pieces[-1]


def _matters_link(level: str, pk: int, extra: dict) -> str:
    return reverse("matters:list") + "?" + urlencode({"place": f"{level}:{pk}", **extra})


def _matter_figures(user, community: Community, *conditions) -> dict[tuple[str, int], int]:
    """Matters the user may see, per building, grid and compound (one grouped query)."""
    rows = (
        matters_visible(user, Matter.objects.filter(*conditions, community=community))
        .order_by()
        .values("compound_id", "building_id", "building__grid_id")
        .annotate(n=Count("id", distinct=True))
    )
    figures: dict[tuple[str, int], int] = {}
    for row in rows:
        for level, key in (
            ("compound", "compound_id"),
            ("building", "building_id"),
            ("grid", "building__grid_id"),
        ):
            if row[key] is not None:
                figures[(level, row[key])] = figures.get((level, row[key]), 0) + row["n"]
    return figures


@dataclass(frozen=True)
class Layer:
    key: str
    label: "StrOrPromise"
    tip: "StrOrPromise"  # what the figure is, before it in tooltips
    figures: Callable[[object, Community], Mapping[tuple[str, int], float]]
    link: Callable[[str, int], str]
    pieces: Callable[[], list[Piece]] = _count_pieces
    percent: bool = False
    # The figure of a place with no row: none of a count, unknown for a share.
    missing: float | None = 0


# More layers from the apps above this one, appended from their ``AppConfig.ready()`` (the visits
# app adds visit coverage and care visits due): the map reads them without importing them.
LAYER_SOURCES: list[Callable[[], list[Layer]]] = []


def layers() -> dict[str, Layer]:
    """The layers on offer: open and overdue matters, then those of ``LAYER_SOURCES``."""
    layers = [
        Layer(
            "open",
            gettext_lazy("Open matters"),
            gettext_lazy("open matters"),
            lambda user, community: _matter_figures(user, community, Q(status__in=OPEN_STATUSES)),
            lambda level, pk: _matters_link(level, pk, {"status": "open"}),
        ),
        Layer(
            "overdue",
            gettext_lazy("Overdue matters"),
            gettext_lazy("overdue matters"),
            lambda user, community: _matter_figures(user, community, late_q(timezone.now())),
            lambda level, pk: _matters_link(level, pk, {"overdue": "1"}),
        ),
    ]
    for source in LAYER_SOURCES:
        layers += source()
    return {layer.key: layer for layer in layers}


class BadLayer(ValueError):
    pass


def layer_get(key: str | None) -> Layer:
    available = layers()
    if not key:
        return available["open"]
    if key not in available:
        raise BadLayer(_("Unknown map layer %(layer)s") % {"layer": str(key)[:30]})
    return available[key]


def map_communities(user) -> list[Community]:
    """Communities with a map that the user may open (one query)."""
    return list(
        rules.communities_visible(user, Community.objects.filter(map__isnull=False)).order_by(
            "name", "pk"
        )
    )


def map_community_get(user, pk: int) -> Community:
    """The community, if the user may open its map (404 otherwise)."""
    return get_object_or_404(
        rules.communities_visible(user, Community.objects.select_related("map")), pk=pk
    )


def _place_of(shape: Shape):
    return getattr(shape, shape.level)


def _title(shape: Shape) -> str:
    place = _place_of(shape)
    if shape.level == Level.BUILDING:
        return f"{place.compound.name} {place.name}"
    return place.name


def _shapes(user, community: Community) -> list[Shape]:
    """The shapes the user may see, drawn in this order: compounds under grids under spots
    under buildings, so the smallest places stay on top and clickable."""
    qs = Shape.objects.filter(community=community).select_related(
        "compound", "grid", "building__compound", "spot__compound"
    )
    grid_id = rules.grid_only(user)
    if grid_id is not None:
        # A grid worker: their grid, its buildings, and the compounds and spots around them.
        compounds = Shape.objects.filter(community=community, building__grid_id=grid_id).values(
            "building__compound_id"
        )
        qs = qs.filter(
            Q(grid_id=grid_id)
            | Q(building__grid_id=grid_id)
            | Q(compound_id__in=compounds)
            | Q(spot__compound_id__in=compounds)
        )
    order: dict[str, int] = {Level.COMPOUND: 0, Level.GRID: 1, Level.SPOT: 2, Level.BUILDING: 3}
    return sorted(qs, key=lambda shape: (order[shape.level], shape.pk))


@dataclass
class MapView:
    community: Community
    crs: str
    layer: Layer
    features: list[dict]
    bbox: tuple[float, float, float, float] | None

    @property
    def aspect_scale(self) -> float:
        """ECharts stretches x by this: 1 on a plan in metres; on longitude and latitude the
        cosine of the latitude, so that a square building looks square."""
        if self.crs == Crs.LOCAL or self.bbox is None:
            return 1.0
        return round(math.cos(math.radians((self.bbox[1] + self.bbox[3]) / 2)), 4)

    def geojson(self) -> dict:
        return {"type": "FeatureCollection", "features": self.features}


def map_view(user, community: Community, layer: Layer) -> MapView:
    """The community's features with the layer's figure, colour and link on each (a fixed
    number of queries: the map, the shapes, one grouped query for the figures)."""
    community_map = CommunityMap.objects.filter(community=community).first()
    shapes = _shapes(user, community)
    figures = layer.figures(user, community) if shapes else {}
    pieces = layer.pieces()
    features = []
    for shape in shapes:
        place = _place_of(shape)
        if shape.level == Level.SPOT:
            # A gate or square has no list of its own: it opens its compound's.
            level, pk = ("compound", place.compound_id) if place.compound_id else (None, None)
            value = None
        else:
            level, pk = shape.level, place.pk
            value = figures.get((level, pk), layer.missing)
        piece = piece_of(pieces, value)
        if value is None:
            figure = "—"
        else:
            figure = f"{value:.0%}" if layer.percent else str(value)
        features.append(
            {
                "type": "Feature",
                "id": f"{shape.level}:{place.pk}",
                "properties": {
                    "name": f"{shape.level}:{place.pk}",
                    "level": shape.level,
                    "id": place.pk,
                    "title": _title(shape),
                    "kind": place.kind if shape.level == Level.SPOT else "",
                    "grid": place.grid_id if shape.level == Level.BUILDING else None,
                    "value": value,
                    "figure": figure,
                    "colour": piece.colour if piece else None,
                    "link": layer.link(level, pk) if level and pk else None,
                },
                "geometry": shape.geometry,
            }
        )
    bbox = None
    if shapes:
        bbox = (
            min(s.min_x for s in shapes),
            min(s.min_y for s in shapes),
            max(s.max_x for s in shapes),
            max(s.max_y for s in shapes),
        )
    crs = community_map.crs if community_map else Crs.WGS84
    return MapView(community, crs, layer, features, bbox)

"""Plain-Python checks of GeoJSON geometry (no GDAL or shapely in the project).

``check_geometry`` returns the geometry's bounding box or raises ``GeometryError`` with a
translated reason. It accepts what a map needs and nothing vaguer: Point, Polygon and
MultiPolygon; finite numeric coordinates inside the range of the coordinate system; rings of
at least four positions, closed, with an area, that do not cross themselves.
"""

import math
from numbers import Real

from django.utils.translation import gettext as _

from gongzhi.maps.models import Crs

# A local plan is in metres around the community: 50 km either way is far more than any
# community, and catches coordinates in centimetres or a projected national grid.
LOCAL_LIMIT = 50_000.0
# Past this many positions per ring the crossing check (quadratic) is skipped: hand-drawn or
# surveyed outlines of a building never come near it.
CROSSING_CHECK_LIMIT = 2_000

# Names of the coordinate system accepted in the old GeoJSON ``crs`` member.
CRS_NAMES = {
    "urn:ogc:def:crs:ogc:1.3:crs84": Crs.WGS84,
    "epsg:4326": Crs.WGS84,
    "urn:ogc:def:crs:epsg::4326": Crs.WGS84,
    "wgs84": Crs.WGS84,
    "local": Crs.LOCAL,
}


class GeometryError(ValueError):
    pass


BBox = tuple[float, float, float, float]


def collection_crs(collection: dict) -> str:
    """The coordinate system a FeatureCollection declares: WGS84 unless its ``crs`` member
    names the local plan (RFC 7946 dropped ``crs``; tools that still write it write WGS84)."""
    crs = collection.get("crs")
    if crs is None:
        return Crs.WGS84
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else crs
    if not isinstance(name, str) or name.strip().lower() not in CRS_NAMES:
        raise GeometryError(
            _("Unknown coordinate system %(crs)s: leave “crs” out for WGS84 or name it “local”.")
            % {"crs": str(name)[:60]}
        )
    return CRS_NAMES[name.strip().lower()]


def _position(value, crs: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise GeometryError(_("a position must be a list of two numbers"))
    if not all(isinstance(v, Real) and not isinstance(v, bool) for v in value):
        raise GeometryError(_("coordinates must be numbers"))
    x, y = float(value[0]), float(value[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise GeometryError(_("coordinates must be numbers"))
    if crs == Crs.WGS84 and not (-180 <= x <= 180 and -90 <= y <= 90):
        raise GeometryError(
            _("coordinates %(x)s, %(y)s are not a longitude and latitude") % {"x": x, "y": y}
        )
    if crs == Crs.LOCAL and not (abs(x) <= LOCAL_LIMIT and abs(y) <= LOCAL_LIMIT):
        raise GeometryError(
            _("coordinates %(x)s, %(y)s are more than 50 km from the plan's origin")
            % {"x": x, "y": y}
        )
    return x, y


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(p1, p2, q1, q2) -> bool:
    """Whether two segments properly cross (touching at an end does not count)."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def _ring(value, crs: str) -> list[tuple[float, float]]:
    if not isinstance(value, list) or len(value) < 4:
        raise GeometryError(_("a ring needs at least four positions"))
    points = [_position(v, crs) for v in value]
    if points[0] != points[-1]:
        raise GeometryError(_("a ring must end where it starts"))
    area = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(points, points[1:], strict=False))
    if area == 0:
        raise GeometryError(_("a ring has no area"))
    edges = list(zip(points, points[1:], strict=False))
    if len(edges) <= CROSSING_CHECK_LIMIT:
        for i, (a, b) in enumerate(edges):
            for c, d in edges[i + 2 :]:
                if _segments_cross(a, b, c, d):
                    raise GeometryError(_("a ring crosses itself"))
    return points


def _polygon(value, crs: str) -> list[tuple[float, float]]:
    if not isinstance(value, list) or not value:
        raise GeometryError(_("a polygon needs at least one ring"))
    points = []
    for ring in value:
        points.extend(_ring(ring, crs))
    return points


def check_geometry(geometry, *, allowed: tuple[str, ...], crs: str) -> BBox:
    """The bounding box of a valid geometry of one of the ``allowed`` types."""
    if not isinstance(geometry, dict):
        raise GeometryError(_("the feature has no geometry"))
    kind = geometry.get("type")
    if kind not in allowed:
        raise GeometryError(
            _("the geometry is %(kind)s, expected %(allowed)s")
            % {"kind": str(kind)[:30], "allowed": " / ".join(allowed)}
        )
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        points = [_position(coordinates, crs)]
    elif kind == "Polygon":
        points = _polygon(coordinates, crs)
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError(_("a multipolygon needs at least one polygon"))
        points = [p for polygon in coordinates for p in _polygon(polygon, crs)]
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)

"""Writes of the map: importing a community's geometry (all or nothing)."""

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.maps.geojson import BBox, GeometryError, check_geometry, collection_crs
from gongzhi.maps.models import CommunityMap, Level, Shape, Spot, SpotKind
from gongzhi.places.models import Building, Community, Compound, Grid

# The largest upload the page and the command accept (the X community's file is ~60 kB).
MAX_BYTES = 5 * 1024 * 1024
ALLOWED = {
    Level.COMPOUND: ("Polygon", "MultiPolygon"),
    Level.GRID: ("Polygon", "MultiPolygon"),
    Level.BUILDING: ("Polygon", "MultiPolygon"),
    Level.SPOT: ("Point", "Polygon"),
}
# Past this many problems the list stops: the file is wrong as a whole.
MAX_ERRORS = 50


class MapImportError(ValueError):
    """The file was refused; ``errors`` lists every problem found, each naming its feature."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class MapImportResult:
    compounds: int = 0
    grids: int = 0
    buildings: int = 0
    spots: int = 0


def parse_geojson(content: bytes) -> dict:
    """The FeatureCollection in an uploaded file, or ``MapImportError``."""
    if len(content) > MAX_BYTES:
        raise MapImportError([_("The file is larger than 5 MB.")])
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MapImportError([_("The file is not GeoJSON: it cannot be read as JSON.")]) from None
    return data


def _feature_label(number: int, props: dict) -> str:
    level = props.get("level")
    label = dict(Level.choices).get(level, "") if isinstance(level, str) else ""
    name = props.get("name") if isinstance(props.get("name"), str) else ""
    if level == Level.BUILDING and isinstance(props.get("compound"), str):
        name = f"{props['compound']} {name}"
    return _("Feature %(number)d (%(what)s)") % {
        "number": number,
        "what": " ".join(part for part in (str(label), name) if part) or "?",
    }


class _Places:
    """The community's named places, loaded once (four queries), looked up by name."""

    def __init__(self, community: Community) -> None:
        self.compounds = {c.name: c for c in Compound.objects.filter(community=community)}
        self.grids = {g.name: g for g in Grid.objects.filter(community=community)}
        self.buildings = {
            (b.compound.name, b.name): b
            for b in Building.objects.filter(compound__community=community).select_related(
                "compound"
            )
        }

    def resolve(self, props: dict):
        level, name = props.get("level"), props.get("name")
        if level not in ALLOWED:
            raise GeometryError(
                _("“level” must be compound, grid, building or spot, not %(level)s")
                % {"level": str(level)[:30]}
            )
        if not isinstance(name, str) or not name.strip():
            raise GeometryError(_("“name” is missing"))
        name = name.strip()
        if level == Level.COMPOUND:
            if name not in self.compounds:
                raise GeometryError(_("there is no compound %(name)s") % {"name": name})
            return self.compounds[name]
        if level == Level.GRID:
            if name not in self.grids:
                raise GeometryError(_("there is no grid %(name)s") % {"name": name})
            return self.grids[name]
        compound = props.get("compound")
        if isinstance(compound, str):
            compound = compound.strip()
        if level == Level.BUILDING:
            if not compound:
                raise GeometryError(_("a building needs “compound”, the name of its compound"))
            if (compound, name) not in self.buildings:
                raise GeometryError(
                    _("there is no building %(name)s in %(compound)s")
                    % {"name": name, "compound": compound}
                )
            return self.buildings[(compound, name)]
        if compound and compound not in self.compounds:
            raise GeometryError(_("there is no compound %(name)s") % {"name": compound})
        kind = props.get("kind") or SpotKind.OTHER
        if kind not in SpotKind.values:
            raise GeometryError(
                _("“kind” of a spot must be gate, square, parking or other, not %(kind)s")
                % {"kind": str(kind)[:30]}
            )
        return Spot(
            name=name[:60], kind=kind, compound=self.compounds[compound] if compound else None
        )


def _check(community: Community, collection) -> tuple[str, list[tuple[str, Any, Any, BBox]]]:
    """The coordinate system and (level, place, geometry, bbox) per feature, or every problem."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise MapImportError([_("The file must hold one GeoJSON FeatureCollection.")])
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise MapImportError([_("The FeatureCollection has no features.")])
    try:
        crs = collection_crs(collection)
    except GeometryError as error:
        raise MapImportError([str(error)]) from None
    places = _Places(community)
    rows: list[tuple[str, Any, Any, BBox]] = []
    errors: list[str] = []
    seen: dict[tuple[str, object], int] = {}
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append(_("Feature %(number)d is not a GeoJSON Feature.") % {"number": number})
            continue
        props = props if isinstance(props, dict) else {}
        label = _feature_label(number, props)
        try:
            place = places.resolve(props)
            level = props["level"]
            key = (level, place.name if level == Level.SPOT else place.pk)
            if key in seen:
                raise GeometryError(
                    _("the same place as feature %(number)d") % {"number": seen[key]}
                )
            seen[key] = number
            geometry = feature.get("geometry")
            bbox = check_geometry(geometry, allowed=ALLOWED[level], crs=crs)
        except GeometryError as error:
            errors.append(_("%(feature)s: %(problem)s") % {"feature": label, "problem": error})
            if len(errors) >= MAX_ERRORS:
                break
            continue
        rows.append((level, place, geometry, bbox))
    if errors:
        raise MapImportError(errors)
    return crs, rows


def _keep_spots(community: Community, rows: list) -> list:
    """Public spots are places in their own right (visits are recorded at them): a spot named
    again keeps its row, with the file's kind and compound; a new name adds one; a spot the file
    no longer names is removed — refused, naming it, when visits were recorded there."""
    existing = {spot.name: spot for spot in Spot.objects.filter(community=community)}
    kept = []
    for level, place, geometry, bbox in rows:
        if level == Level.SPOT:
            spot = existing.pop(place.name, None) or Spot(community=community, name=place.name)
            spot.kind, spot.compound = place.kind, place.compound
            spot.save()
            place = spot
        kept.append((level, place, geometry, bbox))
    gone = list(existing.values())
    try:
        Spot.objects.filter(pk__in=[spot.pk for spot in gone]).delete()
    except ProtectedError as exc:
        # visits.Visit.spot is PROTECT: the history of a spot outlives a new drawing of the map.
        visited = sorted({obj.spot.name for obj in exc.protected_objects if hasattr(obj, "spot")})
        raise MapImportError(
            [
                _("Visits were recorded at %(spots)s: keep it in the file (by its name).")
                % {"spots": "、".join(visited)}
            ]
        ) from exc
    return kept


@transaction.atomic
def map_import(*, community: Community, collection, user: User | None = None) -> MapImportResult:
    """Replace the community's geometry (and public spots) with the FeatureCollection's.

    Nothing is written unless every feature is valid: the errors name each bad feature.
    """
    crs, rows = _check(community, collection)
    Shape.objects.filter(community=community).delete()
    rows = _keep_spots(community, rows)
    result = MapImportResult()
    shapes = []
    for level, place, geometry, bbox in rows:
        shapes.append(
            Shape(
                community=community,
                level=level,
                geometry={"type": geometry["type"], "coordinates": geometry["coordinates"]},
                min_x=bbox[0],
                min_y=bbox[1],
                max_x=bbox[2],
                max_y=bbox[3],
                **{level: place},
            )
        )
        setattr(result, f"{level}s", getattr(result, f"{level}s") + 1)
    Shape.objects.bulk_create(shapes)
    CommunityMap.objects.update_or_create(
        community=community,
        defaults={"crs": crs, "imported_at": timezone.now(), "imported_by": user},
    )
    return result

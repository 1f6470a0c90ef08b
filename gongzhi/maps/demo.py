"""The X-community demo's map: a generated, plausible plan in metres (``crs`` local).

The compounds are adjoining blocks, two along each street: the first two face the riverside
street (west to east at y = 0; the river bank with its square lies south of it), the next two
the street behind them, and so on. Inside a compound each grid is a rectangular block of its
buildings in rows, with room above for the grid's name (a grid across compounds becomes a
MultiPolygon of its blocks); a strip along the street holds the compound's name and its south
gate, a strip at the back its square and, for every other compound, a parking area. Built from
the registry alone, so it is deterministic, and written through the same import as an upload.
"""

import math

from gongzhi.maps.services import map_import
from gongzhi.places.models import Building, Community

BUILDING_W, BUILDING_D = 36, 12  # a slab block, long side west to east
COL_PITCH, ROW_PITCH = 46, 28
GRID_PAD, GRID_LABEL = 8, 22
COMPOUND_PAD, FRONT, BACK = 12, 34, 44
STREET = 24  # the width of a street between rows of compounds
PER_STREET = 2  # compounds along each street


def _rect(x0: float, y0: float, x1: float, y1: float) -> dict:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 1), round(y, 1)] for x, y in ring]]}


def _feature(geometry: dict, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _runs(buildings: list[Building]) -> list[list[Building]]:
    """A compound's buildings split into runs of the same grid, in building order."""
    runs: list[list[Building]] = []
    for building in buildings:
        if runs and runs[-1][0].grid_id == building.grid_id:
            runs[-1].append(building)
        else:
            runs.append([building])
    return runs


def _block(run: list[Building], x0: float, y0: float, height: float) -> tuple[list[dict], float]:
    """The run's grid (if any) and buildings, west edge ``x0``, from the front strip ``y0`` up
    to ``height``; returns the features and the block's width."""
    cols = math.ceil(math.sqrt(len(run) * ROW_PITCH / COL_PITCH))
    width = cols * COL_PITCH - (COL_PITCH - BUILDING_W) + 2 * GRID_PAD
    top = y0 + height
    features = []
    if run[0].grid is not None:
        features.append(
            _feature(_rect(x0, y0, x0 + width, top), level="grid", name=run[0].grid.name)
        )
    for index, building in enumerate(run):
        row, col = divmod(index, cols)
        bx = x0 + GRID_PAD + col * COL_PITCH
        by = top - GRID_LABEL - GRID_PAD - row * ROW_PITCH
        features.append(
            _feature(
                _rect(bx, by - BUILDING_D, bx + BUILDING_W, by),
                level="building",
                compound=building.compound.name,
                name=building.name,
            )
        )
    return features, width


def _block_height(run: list[Building]) -> float:
    cols = math.ceil(math.sqrt(len(run) * ROW_PITCH / COL_PITCH))
    rows = math.ceil(len(run) / cols)
    return GRID_LABEL + 2 * GRID_PAD + rows * ROW_PITCH - (ROW_PITCH - BUILDING_D)


def _compound(
    buildings: list[Building], x: float, y0: float, *, parking: bool
) -> tuple[list[dict], float, float]:
    """A compound's outline, grids, buildings and spots with its south-west corner at
    ``(x, y0)``; returns them, its east edge and its north edge."""
    compound = buildings[0].compound
    runs = _runs(buildings)
    block_h = max(_block_height(run) for run in runs)
    inner: list[dict] = []
    bx = x + COMPOUND_PAD
    for run in runs:
        block, block_w = _block(run, bx, y0 + FRONT, block_h)
        inner.extend(block)
        bx += block_w + 10
    x1 = bx - 10 + COMPOUND_PAD
    top = y0 + FRONT + block_h + BACK
    back = y0 + FRONT + block_h + 8
    features = [
        _feature(_rect(x, y0, x1, top), level="compound", name=compound.name),
        *inner,
        _feature(
            _rect(x + COMPOUND_PAD, back, x + COMPOUND_PAD + 70, top - 8),
            level="spot",
            kind="square",
            compound=compound.name,
            name=f"{compound.name}中心广场",
        ),
        _feature(
            {"type": "Point", "coordinates": [round(x + COMPOUND_PAD + 24, 1), y0 + 4]},
            level="spot",
            kind="gate",
            compound=compound.name,
            name=f"{compound.name}南门",
        ),
    ]
    if parking:
        features.append(
            _feature(
                _rect(x1 - COMPOUND_PAD - 90, back, x1 - COMPOUND_PAD, top - 8),
                level="spot",
                kind="parking",
                compound=compound.name,
                name=f"{compound.name}停车场",
            )
        )
    return features, x1, top


def demo_geojson(community: Community) -> dict:
    """The generated plan of ``community`` as the FeatureCollection an upload would carry."""
    buildings = sorted(
        Building.objects.filter(compound__community=community).select_related("compound", "grid"),
        key=lambda b: (b.compound_id, *b.sort_key()),
    )
    by_compound: dict[int, list[Building]] = {}
    for building in buildings:
        by_compound.setdefault(building.compound_id, []).append(building)
    features: list[dict] = []
    compounds = list(by_compound.values())
    y0, width = 0.0, 0.0
    for row in range(0, len(compounds), PER_STREET):
        x, height = 0.0, 0.0
        for number, compound_buildings in enumerate(compounds[row : row + PER_STREET], row):
            placed, x1, top = _compound(compound_buildings, x, y0, parking=number % 2 == 0)
            features.extend(placed)
            x, height = x1, max(height, top - y0)
        width = max(width, x)
        y0 += height + STREET
    if width:
        # South of the riverside street, on the river bank.
        features.append(
            _feature(
                _rect(width * 0.3, -STREET - 40, width * 0.7, -STREET - 4),
                level="spot",
                kind="square",
                name="滨江广场",
            )
        )
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "local"}},
        "features": _merge_grids(features),
    }


def _merge_grids(features: list[dict]) -> list[dict]:
    """One feature per grid: a grid whose buildings lie in several compounds is a
    MultiPolygon of its blocks, listed where its first block is."""
    merged: list[dict] = []
    grids: dict[str, dict] = {}
    for feature in features:
        props = feature["properties"]
        if props["level"] != "grid":
            merged.append(feature)
        elif props["name"] not in grids:
            grids[props["name"]] = feature
            merged.append(feature)
        else:
            first = grids[props["name"]]["geometry"]
            if first["type"] == "Polygon":
                first["type"], first["coordinates"] = "MultiPolygon", [first["coordinates"]]
            first["coordinates"].append(feature["geometry"]["coordinates"])
    return merged


def seed_maps(community: Community) -> None:
    collection = demo_geojson(community)
    if collection["features"]:
        map_import(community=community, collection=collection)

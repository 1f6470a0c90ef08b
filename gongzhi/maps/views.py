"""The map page (ECharts drawing the community's own GeoJSON, no online tiles) and the import
page. ``map_option`` builds the whole drawing in Python; ``maps/map.js`` only registers the
geometry, draws the option and follows a place's link when it is clicked."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from gongzhi.maps import rules
from gongzhi.maps.models import Level, SpotKind
from gongzhi.maps.selectors import (
    BadLayer,
    MapView,
    layer_get,
    layers,
    map_communities,
    map_community_get,
    map_view,
)
from gongzhi.maps.services import MapImportError, map_import, parse_geojson

STYLES = {
    Level.COMPOUND: {
        "itemStyle": {"areaColor": "#f3efe6", "borderColor": "#7d6f55", "borderWidth": 2},
        "label": {"show": True, "color": "#4a4030", "fontSize": 14, "fontWeight": "bold"},
    },
    Level.GRID: {
        "itemStyle": {
            "areaColor": "rgba(61, 111, 182, 0.06)",
            "borderColor": "#3d6fb6",
            "borderWidth": 2,
            "borderType": "dashed",
        },
        "label": {"show": True, "color": "#2f5a96", "fontSize": 12},
    },
    Level.SPOT: {
        "itemStyle": {"areaColor": "#d5e8cf", "borderColor": "#7fa276", "borderWidth": 1},
        "label": {"show": False, "color": "#44633c", "fontSize": 11},
    },
    Level.BUILDING: {
        "itemStyle": {"areaColor": "#f4f4f4", "borderColor": "#5f5f5f", "borderWidth": 0.8},
        "label": {"show": False},
    },
}


def _label_point(feature: dict) -> list[float] | None:
    """Where the name of a compound or grid goes: inside its outline at the bottom (compounds,
    by the street) or the top (grids), not on top of the buildings in the middle."""
    level = feature["properties"]["level"]
    if level not in (Level.COMPOUND, Level.GRID):
        return None
    xs, ys = [], []
    geometry = feature["geometry"]
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    for polygon in polygons:
        for x, y, *_rest in polygon[0]:
            xs.append(x)
            ys.append(y)
    height = max(ys) - min(ys)
    y = min(ys) + 0.04 * height if level == Level.COMPOUND else max(ys) - 0.05 * height
    return [(min(xs) + max(xs)) / 2, y]


def tip(view: MapView, props: dict) -> list[str]:
    """The lines of a place's tooltip."""
    level = props["level"]
    if level == Level.SPOT:
        lines = [props["title"], str(SpotKind(props["kind"]).label)]
        return [*lines, _("Click for the matters of its compound")] if props["link"] else lines
    lines = [f"{props['title']} · {Level(level).label}"]
    lines.append(_("%(what)s: %(figure)s") % {"what": view.layer.tip, "figure": props["figure"]})
    lines.append(_("Click for the list"))
    return lines


def map_option(view: MapView, map_name: str) -> dict:
    """The drawing: every polygon a region of one ``geo`` component, styled by level, the
    buildings filled by the layer's colour; point spots (gates) as a scatter series on it."""
    regions, points = [], []
    for feature in view.features:
        props = feature["properties"]
        style = STYLES[props["level"]]
        if feature["geometry"]["type"] == "Point":
            points.append({"name": props["name"], "value": feature["geometry"]["coordinates"]})
            continue
        item_style = dict(style["itemStyle"])
        if props["level"] == Level.BUILDING and props["colour"]:
            # Only buildings are filled by the layer; grids and compounds carry it in their
            # tooltip, so the buildings inside them stay readable.
            item_style["areaColor"] = props["colour"]
        regions.append(
            {
                "name": props["name"],
                "itemStyle": item_style,
                "label": {**style["label"], "formatter": props["title"]},
                "emphasis": {
                    "itemStyle": {**item_style, "borderColor": "#111", "borderWidth": 2.5},
                    "label": {**style["label"], "show": True, "formatter": props["title"]},
                },
            }
        )
    return {
        "tooltip": {"trigger": "item", "confine": True},
        "geo": {
            "map": map_name,
            "roam": True,
            "aspectScale": view.aspect_scale,
            # The plan fills the box, keeping its proportions (layoutSize would size it to
            # the box's shorter side).
            "top": 12,
            "bottom": 12,
            "left": 12,
            "right": 12,
            "scaleLimit": {"min": 0.8, "max": 12},
            "selectedMode": False,
            "tooltip": {"show": True},
            "regions": regions,
        },
        "series": [
            {
                "type": "scatter",
                "coordinateSystem": "geo",
                "symbol": "pin",
                "symbolSize": 22,
                "itemStyle": {"color": "#44633c"},
                "data": points,
            }
        ],
    }


def map_payload(view: MapView) -> dict:
    """What ``map.js`` needs: the polygons to register (with label points), the option, and
    each place's tooltip lines and link by region name."""
    name = f"community-{view.community.pk}"
    polygons = []
    for feature in view.features:
        if feature["geometry"]["type"] == "Point":
            continue
        cp = _label_point(feature)
        props = {"name": feature["properties"]["name"]}
        if cp is not None:
            props["cp"] = cp
        polygons.append({"type": "Feature", "properties": props, "geometry": feature["geometry"]})
    min_x, min_y, max_x, max_y = view.bbox
    return {
        "name": name,
        # Height over width as drawn: the page sizes the chart to it, so a phone shows the
        # map across its width instead of a tall box with the map in the middle.
        "ratio": round((max_y - min_y) / max((max_x - min_x) * view.aspect_scale, 1e-9), 3),
        "geojson": {"type": "FeatureCollection", "features": polygons},
        "option": map_option(view, name),
        "places": {
            f["properties"]["name"]: {
                "tip": tip(view, f["properties"]),
                "link": f["properties"]["link"],
            }
            for f in view.features
        },
    }


def _grid_rows(view: MapView) -> list[dict]:
    """The grids and compounds as a list beside the map: the same figures and links, readable
    without the drawing (screen readers, a phone held upright)."""
    return [
        f["properties"]
        for f in view.features
        if f["properties"]["level"] in (Level.COMPOUND, Level.GRID)
    ]


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    if not rules.can_view_map(request.user):
        raise PermissionDenied
    communities = map_communities(request.user)
    try:
        layer = layer_get(request.GET.get("layer"))
    except BadLayer as error:
        return render(request, "gongzhi/bad_filter.html", {"message": str(error)}, status=400)
    raw = request.GET.get("community", "")
    community = None
    if raw:
        if not raw.isdigit():
            raise Http404
        community = map_community_get(request.user, int(raw))
    elif communities:
        community = communities[0]
    view = map_view(request.user, community, layer) if community else None
    context = {
        "communities": communities,
        "community": community,
        "layers": layers().values(),
        "layer": layer,
        "view": view,
        "payload": map_payload(view) if view and view.features else None,
        "rows": _grid_rows(view) if view else [],
        "pieces": layer.pieces(),
        "can_import": rules.can_import_map(request.user),
    }
    return render(request, "maps/map.html", context)


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    if not rules.can_import_map(request.user):
        raise PermissionDenied
    communities = list(rules.communities_importable(request.user).order_by("name", "pk"))
    errors: list[str] = []
    if request.method == "POST":
        raw = request.POST.get("community", "")
        community = next((c for c in communities if str(c.pk) == raw), None)
        upload = request.FILES.get("file")
        if community is None:
            errors = [_("Choose the community.")]
        elif upload is None:
            errors = [_("Choose a GeoJSON file.")]
        else:
            try:
                result = map_import(
                    community=community,
                    collection=parse_geojson(upload.read()),
                    user=request.user,
                )
            except MapImportError as error:
                errors = error.errors
            else:
                messages.success(
                    request,
                    _(
                        "Imported the map of %(community)s: %(compounds)d compounds, "
                        "%(grids)d grids, %(buildings)d buildings, %(spots)d public spots."
                    )
                    % {"community": community.name, **vars(result)},
                )
                return redirect(reverse("maps:map") + f"?community={community.pk}")
    return render(
        request,
        "maps/import.html",
        {"communities": communities, "errors": errors},
        status=400 if errors else 200,
    )

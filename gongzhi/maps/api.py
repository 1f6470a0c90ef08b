"""The map over the API (/api/v1/maps/{community_id}): the community's geometry as a GeoJSON
FeatureCollection, each feature carrying the chosen layer's figure, colour and list link.

Staff, officials and grid workers only (403 otherwise); a community the user may not see is a
404, an unknown layer a 400 ``bad_layer``.
"""

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.core.apischema import ApiError, ErrorOut
from gongzhi.maps import rules
from gongzhi.maps.selectors import BadLayer, layer_get, map_community_get, map_view

router = Router(tags=["maps"])


class MapIn(Schema):
    layer: str | None = Field(
        None, description="open (default), overdue, or a visits layer when that app is on"
    )


class FeaturePropertiesOut(Schema):
    name: str = Field(description="level:id, e.g. building:12")
    level: str = Field(description="compound, grid, building or spot")
    id: int
    title: str = Field(description="the place's name, e.g. 渔家苑 3栋")
    kind: str = Field(description="a spot's kind: gate, square, parking, other")
    grid: int | None = Field(description="a building's grid")
    value: float | None = Field(
        description="the layer's figure: a count, or a share from 0 to 1 for coverage; none "
        "for spots and for coverage where no household is visible"
    )
    figure: str = Field(description="the figure as shown, e.g. 3 or 85%")
    colour: str | None
    link: str | None = Field(description="the list behind the place")


class FeatureOut(Schema):
    type: str
    id: str
    properties: FeaturePropertiesOut
    geometry: dict


class MapOut(Schema):
    type: str = "FeatureCollection"
    crs: str = Field(description="wgs84 (longitude, latitude) or local (metres on a plan)")
    layer: str
    features: list[FeatureOut]


@router.get(
    "/{community_id}",
    response={200: MapOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A community's map with one layer's figures",
)
def community_map(request, community_id: int, filters: Query[MapIn]):
    if not rules.can_view_map(request.auth):
        raise ApiError(403, "forbidden", _("You may not see maps."))
    try:
        layer = layer_get(filters.layer)
    except BadLayer as error:
        raise ApiError(400, "bad_layer", str(error)) from None
    community = map_community_get(request.auth, community_id)
    view = map_view(request.auth, community, layer)
    return {"crs": view.crs, "layer": layer.key, "features": view.features}

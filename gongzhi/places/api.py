"""The place tree over the API. Places follow the directory reach; the counts of households,
which are a family's address, follow the registry reach. A building with its units and
households (``GET /places/buildings/{building_id}``) is ``people.api.places_router``, mounted at
the same prefix: places sits below people."""

from collections import defaultdict

from ninja import Router, Schema

from gongzhi.core.apischema import ErrorOut, Ref
from gongzhi.places import selectors
from gongzhi.places.models import Subdistrict
from gongzhi.places.rules import places_visible

router = Router(tags=["places"])


class Counts(Schema):
    """Totals under a node. Households and residents are counted within the user's registry
    reach (a grid worker's cover their grid, a partner's are zero), as on the web pages."""

    building_count: int
    household_count: int
    resident_count: int


class BuildingNode(Counts):
    id: int
    name: str
    number: int
    grid: Ref | None


class CompoundNode(Counts):
    id: int
    name: str
    buildings: list[BuildingNode]


class CommunityNode(Counts):
    id: int
    name: str
    compounds: list[CompoundNode]


class SubdistrictNode(Counts):
    id: int
    name: str
    communities: list[CommunityNode]


def _counts(counts, building_count: int) -> dict:
    return {
        "building_count": building_count,
        "household_count": counts.households,
        "resident_count": counts.residents,
    }


def _compound(node) -> dict:
    buildings = [
        {
            "id": b.building.id,
            "name": b.building.name,
            "number": b.building.number,
            "grid": b.building.grid,
            **_counts(b.counts, 1),
        }
        for b in node.buildings
    ]
    return {
        "id": node.compound.id,
        "name": node.compound.name,
        "buildings": buildings,
        **_counts(node.counts, len(buildings)),
    }


def _community(node) -> dict:
    compounds = [_compound(c) for c in node.compounds]
    building_count = sum(c["building_count"] for c in compounds)
    return {
        "id": node.community.id,
        "name": node.community.name,
        "compounds": compounds,
        **_counts(node.counts, building_count),
    }


@router.get("/tree", response=list[SubdistrictNode], summary="The place tree with counts")
def place_tree(request):
    """Subdistrict → communities → compounds → buildings, as far as the user may see, from the
    same selector as the web page; a fixed number of queries whatever the size."""
    communities = defaultdict(list)
    for node in selectors.place_tree(request.auth):
        communities[node.community.subdistrict_id].append(_community(node))
    tree = []
    for subdistrict in places_visible(request.auth, Subdistrict.objects.all()):
        nodes = communities[subdistrict.id]
        keys = ("building_count", "household_count", "resident_count")
        totals = {key: sum(node[key] for node in nodes) for key in keys}
        tree.append(
            {"id": subdistrict.id, "name": subdistrict.name, "communities": nodes, **totals}
        )
    return tree


class ReportLinkOut(Schema):
    url: str


@router.get(
    "/buildings/{building_id}/report-link",
    response={200: ReportLinkOut, 404: ErrorOut},
    summary="The building's stable scan-to-report link (the URL in its QR poster)",
)
def building_report_link(request, building_id: int):
    # Imported here: posters pull in reportlab, which the rest of the API does not need.
    from django.conf import settings

    from gongzhi.places.posters import report_url

    building = selectors.building_get(request.auth, building_id)
    base = settings.GONGZHI_PUBLIC_URL or request.build_absolute_uri("/")
    return {"url": report_url(base, building)}

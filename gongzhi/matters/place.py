"""The place columns of a matter (community, compound, building, household) from the most
specific place given. Public: every app that submits matters (hotline, Open311, visits, the
scan-to-report page) builds a matter's ``place`` with it; ``matters.services`` re-exports it."""

from django.utils.translation import gettext as _

from gongzhi.matters.errors import MatterError
from gongzhi.places.models import Building, Community, Compound, Household


def resolve_place(
    *,
    community: Community | None = None,
    compound: Compound | None = None,
    building: Building | None = None,
    household: Household | None = None,
) -> dict:
    """``{"community", "compound", "building", "household"}`` filled upwards from the most
    specific place given (a household's building, a building's compound, a compound's
    community). Refuses with ``unknown_place`` when no place is given."""
    if household is not None:
        building = household.unit.building
    if building is not None:
        compound = building.compound
    if compound is not None:
        community = compound.community
    if community is None:
        raise MatterError("unknown_place", _("Choose the place the matter concerns."))
    return {
        "community": community,
        "compound": compound,
        "building": building,
        "household": household,
    }

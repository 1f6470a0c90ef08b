"""The overview's place figures: compounds, buildings, grids, households and residents
(registered in ``core.overview.SECTIONS`` by ``PeopleConfig.ready``)."""

from gongzhi.core.places import Place
from gongzhi.core.scope import narrow
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Compound, Grid, Household


def places_section(place: Place | None) -> dict:
    return {
        "compounds": narrow(Compound.objects.all(), place).count(),
        "buildings": narrow(Building.objects.all(), place).count(),
        "grids": narrow(Grid.objects.all(), place).count(),
        "households": narrow(Household.objects.all(), place).count(),
        "residents": narrow(Resident.objects.all(), place).count(),
    }

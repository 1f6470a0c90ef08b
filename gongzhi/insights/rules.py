"""Who may see insight figures, and for which places.

The index and the diagnostics are aggregates of the registry's matters and households, so
they follow the matters dashboard: staff, officials and grid workers, inside their registry
reach (a grid worker sees their grid). A place asked for outside the reach is refused, never
silently widened.
"""

from gongzhi.accounts.scope import is_staff_like, registry_reach, restrict
from gongzhi.core.places import Place
from gongzhi.core.scope import Actor
from gongzhi.places.models import Building, Community, Compound, Grid, Subdistrict

LEVEL_MODELS = {
    "subdistrict": Subdistrict,
    "community": Community,
    "compound": Compound,
    "building": Building,
    "grid": Grid,
}


def can_view_insights(user: Actor) -> bool:
    return is_staff_like(user)


def home_place(user: Actor) -> Place | None:
    """The place a user's insight pages show by default (None: everything)."""
    return registry_reach(user).place


def place_allowed(user: Actor, place: Place) -> bool:
    """Whether ``place`` lies inside the user's reach (households are never a scope)."""
    reach = registry_reach(user)
    if place.level not in LEVEL_MODELS:
        return False
    if reach.everywhere:
        return True
    if reach.place is None:  # nowhere
        return False
    if place == reach.place:
        return True
    if reach.place.level == "grid" and place.level == "grid":
        return False
    model = LEVEL_MODELS[place.level]
    return restrict(model._default_manager.filter(pk=place.id), reach).exists()

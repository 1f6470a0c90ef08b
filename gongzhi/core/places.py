"""How a record hangs on the place tree, and how to filter by place.

Every model that belongs to a place declares a ``PlacePaths``: the ORM lookups from the model to
its subdistrict, community, compound, building and household. One function, ``place_q``, turns
a place (for example "compound 3" or "grid 7") into a ``Q`` for any such model. Both scope
filtering (what a user may see) and list filters (what the user asked to see) use it.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

MAX_ID = 2**63 - 1  # the largest id a BigAutoField can hold (SQLite and PostgreSQL)
LEVELS = ("subdistrict", "community", "compound", "building", "grid", "household")


@dataclass(frozen=True)
class PlacePaths:
    subdistrict: str
    community: str
    compound: str | None = None
    building: str | None = None
    household: str | None = None

    def path(self, level: str) -> str | None:
        if level == "grid":
            if self.building is None:
                return None
            return "grid" if self.building == "id" else f"{self.building}__grid"
        return getattr(self, level)


@dataclass(frozen=True)
class Place:
    """A node of the place tree, named as "<level>:<id>" in URLs ("compound:3")."""

    level: str
    id: int

    @classmethod
    def parse(cls, text: str | None) -> "Place | None":
        if not text:
            return None
        level, _sep, raw_id = text.partition(":")
        # An id past the databases' largest integer can name no row (and would make the
        # query fail): refused like any unknown place.
        if level not in LEVELS or not raw_id.isdigit() or int(raw_id) > MAX_ID:
            raise ValueError(_("Unknown place %(place)s") % {"place": text})
        return cls(level, int(raw_id))

    def __str__(self) -> str:
        return f"{self.level}:{self.id}"


def place_q(place: Place, paths: PlacePaths) -> Q:
    """Rows of a model (described by ``paths``) that lie inside ``place``.

    A record anchored above ``place`` (a community-level partner asked for at building level)
    does not lie inside it, so it is excluded: its path is NULL.
    """
    path = paths.path(place.level)
    if path is None:
        return Q(pk__in=[])
    return Q(**{path: place.id})


def place_contains(place: Place, obj, paths: PlacePaths) -> bool:
    """The Python twin of ``place_q`` for one loaded record: True exactly when
    ``place_q(place, paths)`` would select it (``tests/test_places_twin.py``). The id at
    ``place``'s level is read along ``paths`` through the related objects (load them with the
    row, or each hop is a query). Paths must run along foreign keys (a subdistrict's
    ``communities`` runs backwards: ``ValueError``)."""
    path = paths.path(place.level)
    if path is None:
        return False
    *hops, last = path.split("__")
    target = obj
    for hop in hops:
        target = getattr(target, hop)
        if target is None:
            return False
    if last == "id":
        found = target.pk
    elif hasattr(target, f"{last}_id"):
        found = getattr(target, f"{last}_id")
    else:
        raise ValueError(f"{type(obj).__name__}: {path} is not a forward path")
    return found is not None and found == place.id

"""One place with the places above it, in one statement written once (``core.rawsql``).

For the paths that run on every request (a matter's submit names its place): the row and its
ancestors come back linked, as ``select_related`` would give them, so walking up
(``household.unit.building.compound.community``) and ``core.scope.within`` need no query.
"""

from typing import Any

from django.db import models

from gongzhi.core import rawsql
from gongzhi.places.models import Building, Community, Compound, Household, Unit

# Each level's model, then the models above it, each with the foreign key that reaches it.
_CHAINS: dict[str, list[tuple[type[models.Model], str | None]]] = {
    "community": [(Community, None)],
    "compound": [(Compound, "community"), (Community, None)],
    "building": [(Building, "compound"), (Compound, "community"), (Community, None)],
    "household": [
        (Household, "unit"),
        (Unit, "building"),
        (Building, "compound"),
        (Compound, "community"),
        (Community, None),
    ],
}
LEVELS = tuple(_CHAINS)


def with_ancestors(
    level: str, pk: int, *, below: tuple[type[models.Model], str] | None = None
) -> Any:
    """The ``level`` place ``pk`` (community, compound, building or household) with every
    place above it up to its community loaded; None when there is no such row.

    ``below=(Model, fk)``: instead, the ``Model`` row ``pk`` whose foreign key ``fk`` points at
    a ``level`` place, with that place and those above it (a resident and its household …).
    Typed ``Any``: the model depends on ``level`` (and ``below``)."""
    chain = ([below] if below else []) + _CHAINS[level]
    aliases = [f"t{i}" for i in range(len(chain))]
    joins = [f"FROM {rawsql.table(chain[0][0])} t0"]
    for i, (_model, fk) in enumerate(chain[:-1]):
        above = chain[i + 1][0]
        joins.append(f"JOIN {rawsql.table(above)} t{i + 1} ON t{i + 1}.id = t{i}.{fk}_id")
    found = rawsql.select(
        [(model, alias) for (model, _fk), alias in zip(chain, aliases, strict=True)],
        " ".join(joins) + " WHERE t0.id = %s",
        [pk],
    )
    if not found:
        return None
    objects = found[0]
    for (_model, fk), obj, above in zip(chain[:-1], objects[:-1], objects[1:], strict=True):
        setattr(obj, str(fk), above)
    return objects[0]

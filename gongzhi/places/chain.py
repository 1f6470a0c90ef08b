"""Places with the places above them, in one statement written once (``core.rawsql``).

For the paths that run on every request (a matter's submit names its place and its reporter):
each row and its ancestors come back linked, as ``select_related`` would give them, so walking
up (``household.unit.building.compound.community``) and ``core.scope.within`` need no query.
Several such reads share one statement (``each_with_ancestors``): each is a chain of ``LEFT
JOIN``s from a one-row ``FROM``, so one that finds nothing leaves its columns NULL without
hiding the others.
"""

from collections.abc import Sequence
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

#: One read: a level, the key of its row, and ``below`` (see ``with_ancestors``) or None.
Read = tuple[str, int, tuple[type[models.Model], str] | None]


def with_ancestors(
    level: str, pk: int, *, below: tuple[type[models.Model], str] | None = None
) -> Any:
    """The ``level`` place ``pk`` (community, compound, building or household) with every
    place above it up to its community loaded; None when there is no such row.

    ``below=(Model, fk)``: instead, the ``Model`` row ``pk`` whose foreign key ``fk`` points at
    a ``level`` place, with that place and those above it (a resident and its household …).
    Typed ``Any``: the model depends on ``level`` (and ``below``)."""
    return each_with_ancestors([(level, pk, below)])[0]


def each_with_ancestors(reads: Sequence[Read]) -> list[Any]:
    """Several ``with_ancestors`` reads in one statement: one object (or None) per read."""
    chains = [([below] if below else []) + _CHAINS[level] for level, _pk, below in reads]
    shape = tuple(tuple(chain) for chain in chains)
    tables, rest, links = rawsql.written_once(
        chains[0][0][0], ("chains", shape), lambda: _sql(shape)
    )
    (row,) = rawsql.select(tables, rest, [pk for _level, pk, _below in reads])
    found, start = [], 0
    for fields in links:
        objects = row[start : start + len(fields) + 1]
        start += len(fields) + 1
        if objects[0] is not None:
            # Each row's foreign key already holds the id of the row above (the join's): what
            # assigning the object would add is the object itself, in the row's cache.
            for field, obj, above in zip(fields, objects, objects[1:], strict=False):
                field.set_cached_value(obj, above)
        found.append(objects[0])
    return found


def _sql(shape: tuple) -> tuple[list[tuple[type[models.Model], str]], str, list[list]]:
    """The tables (model, alias) and ``FROM …`` of ``each_with_ancestors``: per chain, its row
    ``LEFT JOIN``ed by key (``%s``, in the order of the chains), then each place above by the
    foreign key of the one below; and per chain, those foreign keys' fields."""
    tables: list[tuple[type[models.Model], str]] = []
    joins = ["FROM (SELECT 1 AS one) one"]
    links = [[model._meta.get_field(fk) for model, fk in chain[:-1]] for chain in shape]
    for c, chain in enumerate(shape):
        for i, (model, _fk) in enumerate(chain):
            alias = f"c{c}t{i}"
            tables.append((model, alias))
            if i == 0:
                on = f"{alias}.id = %s"
            else:
                on = f"{alias}.id = c{c}t{i - 1}.{chain[i - 1][1]}_id"
            joins.append(f"LEFT JOIN {rawsql.table(model)} {alias} ON {on}")
    return tables, " ".join(joins), links

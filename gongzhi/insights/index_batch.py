"""The index of every place of a level at once, for the stored index (``index_store``).

``index_for`` costs about 18 queries per place and period; the rollup stores the index of
every subdistrict, community and compound (800 scopes in a district of 100 communities) for
13 periods, which one place at a time would take hours. ``indexes_for`` asks the same
indicator functions (``index.indicators_by``) to split their counts per place of the level:
one GROUP BY query, or one query fetching (place, key) rows, per indicator instead of one
set of queries per place; ``indexes_of_levels`` does all levels with those same queries. Its
result for a place equals ``index_for``'s (tested).
"""

import datetime as dt

from django.db.models import Model

from gongzhi.core.places import Place
from gongzhi.insights.index import Period, indicators_by, scored
from gongzhi.places.models import Community, Compound, Subdistrict

LEVELS: dict[str, type[Model]] = {
    "subdistrict": Subdistrict,
    "community": Community,
    "compound": Compound,
}


def places_of(level: str | None) -> list[Place | None]:
    """Every place of ``level`` (None: the single all-data scope)."""
    if level is None:
        return [None]
    pks = LEVELS[level].objects.order_by("pk").values_list("pk", flat=True)
    return [Place(level, pk) for pk in pks]


def indexes_for(level: str | None, period: Period, *, today: dt.date) -> dict[Place | None, dict]:
    """``index_for(place, period, today=today)`` for every place of ``level`` ("subdistrict",
    "community", "compound"; None: all data), with a number of queries that does not depend
    on the number of places. Places without data get their index too (indicators with
    denominator 0, value None)."""
    return indexes_of_levels([level], period, today=today)


def indexes_of_levels(
    levels: list[str | None], period: Period, *, today: dt.date
) -> dict[Place | None, dict]:
    """``indexes_for`` of several levels with the queries of one: each indicator's rows are
    fetched once with their place of every level (the stored index asks all four levels)."""
    unknown = [level for level in levels if level is not None and level not in LEVELS]
    if unknown:
        raise ValueError(f"indexes_for: unknown levels {unknown}")
    indicators = indicators_by(None, levels, period, today)
    return {
        place: scored(indicators, None if place is None else (place.level, place.id))
        for level in levels
        for place in places_of(level)
    }

"""The index per scope and month, stored (``IndexMonth``) so the index page reads rows.

``roll_index`` is a ``gongzhi rollup`` step (after the matters step, whose rows the index
reads). For all data, every subdistrict, community and compound it keeps the rows of the
last ``STORED_MONTHS`` months and of the year to date: it recomputes the current and the
previous month and the year to date on every run, and any month of the last twelve that has
no row; a row whose values did not change is not written. Older months are not recomputed
(``--full`` recomputes them all). Each period is computed for all places at once
(``index_batch.indexes_of_levels``), so a run's queries do not grow with the number of places.

``stored_index`` / ``stored_indexes`` answer ``index_for`` from a row when the row is valid
for the day asked (see ``IndexMonth``) and compute it otherwise.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from gongzhi.core.places import Place
from gongzhi.insights.index import DIMENSIONS, Period, index_for, months_until
from gongzhi.insights.index_batch import indexes_of_levels
from gongzhi.insights.models import IndexMonth
from gongzhi.places.models import Community, Compound, Subdistrict

STORED_MONTHS = 12
FIELDS = ("score", *DIMENSIONS, "indicators")


def stored_scopes() -> list[Place | None]:
    """The scopes that get rows: all data, subdistricts, communities and compounds."""
    return [
        None,
        *(Place("subdistrict", pk) for pk in Subdistrict.objects.values_list("pk", flat=True)),
        *(Place("community", pk) for pk in Community.objects.values_list("pk", flat=True)),
        *(Place("compound", pk) for pk in Compound.objects.values_list("pk", flat=True)),
    ]


def _scope(place: Place | None) -> str:
    return "" if place is None else str(place)


def _values(result: dict) -> dict:
    return {name: result[name] for name in FIELDS}


def roll_index(*, now: dt.datetime, since: dt.date | None, full: bool) -> dict[str, int]:
    today = timezone.localdate(now)
    months = months_until(today, STORED_MONTHS)
    # In January the current month and the year to date are the same period (1 January to
    # today), and (scope, since, until) is unique: keep it once.
    periods = list(dict.fromkeys([*months, Period(dt.date(today.year, 1, 1), today)]))
    always = {months[-1], periods[-1]}
    if len(months) > 1:
        always.add(months[-2])
    scopes = stored_scopes()
    written = computed = 0
    with transaction.atomic():
        stored = {
            (row.scope, row.since, row.until): row
            for row in IndexMonth.objects.select_for_update().filter(
                since__gte=months[0].since, scope__in=[_scope(p) for p in scopes]
            )
        }

        def redo(place: Place | None, period: Period) -> bool:
            row = stored.get((_scope(place), period.since, period.until))
            if full or row is None or period in always:
                return True
            return since is not None and period.until >= since

        for period in periods:
            places = [p for p in scopes if redo(p, period)]
            if not places:
                continue
            # One batch for the levels of those places (index_batch): its queries do not
            # grow with the number of places.
            levels = list(dict.fromkeys(None if p is None else p.level for p in places))
            results = indexes_of_levels(levels, period, today=today)
            for place in places:
                computed += 1
                result = results.get(place) or index_for(place, period, today=today)
                key = (_scope(place), period.since, period.until)
                written += _write(stored.get(key), key, _values(result), today)
        # Rows of other periods: months that left the window, the current month and the
        # year to date as computed on earlier days.
        wanted = {(p.since, p.until) for p in periods}
        stale = [row.pk for key, row in stored.items() if key[1:] not in wanted]
        stale_count = len(stale) + IndexMonth.objects.filter(since__lt=months[0].since).delete()[0]
        if stale:
            IndexMonth.objects.filter(pk__in=stale).delete()
    return {"index_rows": written + stale_count, "indexes_computed": computed}


def _write(row: IndexMonth | None, key: tuple, values: dict, today: dt.date) -> int:
    """Store one computed index; 1 if a row was created or changed, else 0."""
    if row is None:
        IndexMonth.objects.create(
            scope=key[0], since=key[1], until=key[2], computed_on=today, **values
        )
        return 1
    if any(getattr(row, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(row, name, value)
        row.computed_on = today
        row.save(update_fields=[*FIELDS, "computed_on"])
        return 1
    if not _usable(row, today):
        # Same figures, now also valid for today.
        IndexMonth.objects.filter(pk=row.pk).update(computed_on=today)
        return 1
    return 0


def _usable(row: IndexMonth, today: dt.date) -> bool:
    return row.until < row.computed_on or row.computed_on == today


def stored_index(place: Place | None, period: Period, today: dt.date | None = None) -> dict:
    """``index_for(place, period)``, from the stored row when it is valid for ``today``.

    Every reader of one place and period (the index page and its export, the dashboard, the
    annual report, the API and ``gongzhi overview``) goes through here, so they agree."""
    today = today or timezone.localdate()
    return stored_indexes([place], [period], today)[(_scope(place), period)]


def stored_indexes(
    places: list[Place | None], periods: list[Period], today: dt.date
) -> dict[tuple[str, Period], dict]:
    """``index_for`` of every place × period, keyed by (``str(place)`` or "", period):
    from the stored rows where valid, computed where not."""
    scopes = [_scope(p) for p in places]
    rows = {
        (row.scope, row.since, row.until): row
        for row in IndexMonth.objects.filter(
            scope__in=scopes,
            since__in={p.since for p in periods},
            until__in={p.until for p in periods},
        )
    }
    result = {}
    for place, scope in zip(places, scopes, strict=True):
        for period in periods:
            row = rows.get((scope, period.since, period.until))
            if row is not None and _usable(row, today):
                result[(scope, period)] = {name: getattr(row, name) for name in FIELDS}
            else:
                result[(scope, period)] = index_for(place, period, today=today)
    return result

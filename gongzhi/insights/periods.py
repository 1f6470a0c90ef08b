"""The period of the scope dashboard and of the stored figures: days ``since`` to ``until``,
and how a stored snapshot of the largest scopes is found.

Its own module so that the dashboard (which reads the stored figures) and the snapshot step
(which computes them with the dashboard's functions) both use it without importing each other
back; the stored diagnostics (``diagnostics_store``) find their rows the same way.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from django.utils import timezone, translation

from gongzhi.core.places import Place
from gongzhi.insights.index import Period as IndexPeriod
from gongzhi.insights.models import RollupState


@dataclass(frozen=True)
class Period:
    """Days ``since`` to ``until``, both included."""

    since: dt.date
    until: dt.date

    def index_period(self) -> IndexPeriod:
        return IndexPeriod(self.since, self.until)


def year_to_date(today: dt.date) -> Period:
    """The dashboard's default period, and the one whose figures the rollup stores."""
    return Period(today.replace(month=1, day=1), today)


def snapshot_scope(place: Place | None) -> str:
    """How a snapshot's ``scope`` names a place ("" for all data)."""
    return "" if place is None else str(place)


def latest_snapshot(
    model: type[Model], field: str, place: Place | None, since: dt.date, until: dt.date
) -> tuple[object, dt.datetime] | None:
    """``(value of field, the run's time)`` of the ``model`` row (``FiguresSnapshot``,
    ``DiagnosticsSnapshot``) that the latest rollup run stored for ``place`` — all data or a
    subdistrict — over the year to date, in the active language; None for any other scope or
    period, or when the latest run wrote no such row (then compute it)."""
    if place is not None and place.level != "subdistrict":
        return None
    ytd = year_to_date(timezone.localdate())
    if (since, until) != (ytd.since, ytd.until):
        return None
    ran_at = RollupState.objects.filter(name="matters").values_list("ran_at", flat=True).first()
    if ran_at is None:
        return None
    return (
        model._default_manager.filter(
            scope=snapshot_scope(place),
            since=since,
            until=until,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            version=ran_at,
        )
        .values_list(field, "version")
        .first()
    )


def store_snapshots(
    model: type[Model],
    field: str,
    scopes: Iterable[tuple[Place | None, Callable[[], object]]],
    *,
    period: Period | IndexPeriod,
    now: dt.datetime,
) -> int:
    """A rollup step's write (``FiguresSnapshot``, ``DiagnosticsSnapshot``): for each
    ``(place, render)`` of ``scopes``, ``render()`` in every language, stored in ``field`` of
    the row of that scope, period and language, stamped with this run's time ``now``; rows of
    other periods deleted; all in one transaction. Returns the rows written."""
    written = 0
    with transaction.atomic():
        for place, render in scopes:
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    value = as_stored(render())
                model._default_manager.update_or_create(
                    scope=snapshot_scope(place),
                    since=period.since,
                    until=period.until,
                    language=code,
                    defaults={"version": now, field: value, "computed_at": timezone.now()},
                )
                written += 1
        model._default_manager.exclude(until=period.until).delete()
    return written


def as_stored(data):
    """``data`` as it comes back from a snapshot's JSON column (lazy strings and dates as
    text), so that what a step stores and what a page computes compare equal."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))

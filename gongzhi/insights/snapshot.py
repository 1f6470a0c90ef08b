"""Stored dashboard figures of the largest scopes: all data and each subdistrict.

At district scale a subdistrict's dashboard adds up millions of rows (at N = 100 communities:
2 M ``MatterDay`` rows, 2 M residents, 2 M matters for the overview — about 15 s), far above
the 1 s a page may take. So ``roll_figures``, the last step of ``gongzhi rollup``, computes
``dashboard.shared_figures`` (everything but the per-user overdue list) of all data and of
every subdistrict for the dashboard's default period, the year to date, and stores it in
``FiguresSnapshot`` once per interface language (the sections carry translated titles). The
numbers are read once per scope (``dashboard.figure_data``) and only the rendering
(``dashboard.render_figures``) is repeated per language.

``dashboard.stored_figures`` hands a row to the dashboard, the ``.xlsx`` export and the annual
report only while it was written by the latest rollup run (its ``version`` equals the matters
state's ``ran_at``) for the language in use; then the page says "as of" that run. Any other
scope or period, or no usable row, is computed on the page as before. Figures from the registry
(e.g. households) are therefore as of the last rollup for these scopes — minutes old when the
rollup runs every few minutes, as documented in docs/insight.md.

This module imports the dashboard's functions; the dashboard does not import it back (the
period lives in ``periods``).
"""

import datetime as dt
import functools

from django.utils import timezone

from gongzhi.core.places import Place
from gongzhi.insights.dashboard import figure_data, render_figures
from gongzhi.insights.models import FiguresSnapshot
from gongzhi.insights.periods import store_snapshots, year_to_date
from gongzhi.places.models import Subdistrict


def snapshot_scopes() -> list[Place | None]:
    return [
        None,
        *(Place("subdistrict", pk) for pk in Subdistrict.objects.values_list("pk", flat=True)),
    ]


def roll_figures(*, now: dt.datetime, since: dt.date | None = None, full: bool = False) -> dict:
    """A ``gongzhi rollup`` step (the last): store the year-to-date figures of all data and of
    each subdistrict, in every language, stamped with this run's time."""
    period = year_to_date(timezone.localdate(now))
    scopes = (
        (place, functools.partial(render_figures, figure_data(place, period), place, period))
        for place in snapshot_scopes()
    )
    written = store_snapshots(FiguresSnapshot, "data", scopes, period=period, now=now)
    return {"figures_snapshots": written}

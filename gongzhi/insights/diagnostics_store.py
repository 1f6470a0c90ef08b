"""Stored fragmentation diagnostics of the largest scopes: all data and each subdistrict.

At district scale (100 communities, 2 M matters a year) the diagnostics of a subdistrict over
the year to date read millions of rows (19 s before issue 14's work on the kinds), far above
the 1 s a page may take. So ``roll_diagnostics``, a step of ``gongzhi rollup`` after the
stored dashboard figures, computes the findings of all data and of every subdistrict for the
page's default period, the year to date, and stores them in ``DiagnosticsSnapshot`` once per
interface language (titles and details are translated). It follows ``snapshot.roll_figures``.

The numbers are read once for all scopes together: the rollup rows grouped by community,
compound and category, the share of households taking part per compound, and the most
bounced matters per subdistrict (a window over the year's matters) are each one reading,
split per scope in Python; only the buildings and the isolated teams (a few cheap queries) are
read per scope. Each scope's findings equal ``diagnostics.diagnostics_for`` (tested).

``diagnostics_view`` hands the stored findings to the page, its ``.xlsx`` export and the API
only for these scopes and that period, and only while the latest rollup run wrote them (the
row's ``version`` equals the matters state's ``ran_at``); they then say "as of" that run.

The bounced matters are the one part that depends on who looks (``matter_list``). For a user
whose matters are exactly the scope's — a superuser (every matter), or a user whose reach is
the subdistrict itself (an official: ``matters.rules.visible_q`` is the subdistrict's matters,
narrowed to it) — the stored ones are the same; anyone else allowed to ask for the scope (a
community's staff may: ``rules.place_allowed`` lets a community's reach see its subdistrict)
sees fewer, so that part is read live for them.
"""

import datetime as dt
import functools
from collections import defaultdict

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from gongzhi.accounts.scope import registry_reach
from gongzhi.core.places import Place
from gongzhi.insights import diagnostics as kinds
from gongzhi.insights.index import Period
from gongzhi.insights.models import DiagnosticsSnapshot
from gongzhi.insights.periods import latest_snapshot, store_snapshots, year_to_date
from gongzhi.matters.models import Matter
from gongzhi.places.models import Community, Compound, Subdistrict

# ---- the numbers of every scope from one reading ---------------------------------------------


def _bounced_by_subdistrict(period: Period) -> dict[int, list[tuple[int, str, int]]]:
    """The ``MAX_ROWS`` most bounced matters of each subdistrict in ``period`` (as
    ``kinds.bounced_rows`` orders them), in one reading of the period's matters."""
    from gongzhi.matters.selectors import day_start

    rows = (
        Matter.objects.filter(
            created_at__gte=day_start(period.since),
            created_at__lt=day_start(period.until + dt.timedelta(days=1)),
            bounce_count__gte=kinds.BOUNCED_AT_LEAST,
        )
        .annotate(
            sub=F("community__subdistrict_id"),
            rank=Window(
                RowNumber(),
                partition_by=[F("community__subdistrict_id")],
                order_by=[F("bounce_count").desc(), F("pk").desc()],
            ),
        )
        .filter(rank__lte=kinds.MAX_ROWS)
        .order_by()
        .values_list("sub", "pk", "text", "bounce_count")
    )
    found: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for sub, pk, text, bounces in rows:
        found[sub].append((pk, text[:30], bounces))
    return found


def _top_bounced(rows: list[tuple[int, str, int]]) -> list[tuple[int, str, int]]:
    return sorted(rows, key=lambda row: (-row[2], -row[0]))[: kinds.MAX_ROWS]


def scopes_data(period: Period) -> dict[Place | None, dict]:
    """The numbers (``kinds.scope_data``'s, plus ``"bounced"``: every matter of the scope) of
    all data and of every subdistrict."""
    subdistrict_of = dict(Community.objects.values_list("pk", "subdistrict_id"))
    groups = kinds.matter_day_groups(None, period)
    shares = kinds.participation_shares(None, period)
    compounds = list(Compound.objects.values_list("pk", "name", "community__subdistrict_id"))
    bounced = _bounced_by_subdistrict(period)
    scopes: list[Place | None] = [
        None,
        *(Place("subdistrict", pk) for pk in Subdistrict.objects.values_list("pk", flat=True)),
    ]
    data: dict[Place | None, dict] = {}
    for place in scopes:
        if place is None:
            own_groups = groups
            own_compounds = [(pk, name) for pk, name, _sub in compounds]
            own_bounced = _top_bounced([row for rows in bounced.values() for row in rows])
        else:
            own_groups = [row for row in groups if subdistrict_of[row[0]] == place.id]
            own_compounds = [(pk, name) for pk, name, sub in compounds if sub == place.id]
            own_bounced = bounced.get(place.id, [])
        by_pk = {pk: shares[pk] for pk, _name in own_compounds if pk in shares}
        data[place] = {
            "buildings": kinds.buildings_data(place),
            "teams": kinds.teams_data(place, period),
            "participation": kinds.participation_rows(by_pk, own_compounds),
            "satisfaction": kinds.satisfaction_rows(own_groups),
            "hot_spots": kinds.hot_spot_rows(own_groups),
            "bounced": own_bounced,
        }
    return data


def roll_diagnostics(
    *, now: dt.datetime, since: dt.date | None = None, full: bool = False
) -> dict[str, int]:
    """A ``gongzhi rollup`` step (after the stored figures): store the year-to-date findings
    of all data and of each subdistrict, in every language, stamped with this run's time."""
    today = timezone.localdate(now)
    ytd = year_to_date(today)
    period = Period(ytd.since, ytd.until)

    def render(data: dict, place: Place | None):
        return kinds.render_findings(data, kinds.render_bounced(data["bounced"]), place, period)

    scopes = (
        (place, functools.partial(render, data, place))
        for place, data in scopes_data(period).items()
    )
    written = store_snapshots(DiagnosticsSnapshot, "findings", scopes, period=period, now=now)
    return {"diagnostics_snapshots": written}


# ---- reading ---------------------------------------------------------------------------------


def stored_diagnostics(place: Place | None, period: Period) -> dict | None:
    """``{"findings", "as_of"}`` that ``roll_diagnostics`` stored for ``place`` and ``period``
    in the active language when the latest rollup run wrote them, else None (compute them)."""
    found = latest_snapshot(DiagnosticsSnapshot, "findings", place, period.since, period.until)
    return None if found is None else {"findings": found[0], "as_of": found[1]}


def sees_every_matter(user, place: Place | None) -> bool:
    """Whether ``matter_list(user, place=place)`` holds every matter of ``place``: a reach
    everywhere (superusers), or a reach that is the place itself (``visible_q`` is then the
    place's matters, and more, narrowed to the place)."""
    reach = registry_reach(user)
    return reach.everywhere or (place is not None and reach.place == place)


def _with_bounced(findings: list[dict], bounced: list[dict]) -> list[dict]:
    """``findings`` with their bounced matters replaced by ``bounced`` (order of ``KINDS``)."""
    order = list(kinds.KINDS)
    at = order.index("bounced")
    return [
        *(f for f in findings if order.index(f["kind"]) < at),
        *bounced,
        *(f for f in findings if order.index(f["kind"]) > at),
    ]


def diagnostics_view(user, place: Place | None, period: Period) -> tuple[list[dict], object]:
    """The findings the page, its export and the API show, and the rollup run they are as of
    (None: computed now). Stored ones for all data and the subdistricts over the year to date;
    the bounced matters read live for a user who does not see every matter of the scope."""
    stored = stored_diagnostics(place, period)
    if stored is None:
        return kinds.diagnostics_for(user, place, period), None
    findings = stored["findings"]
    if not sees_every_matter(user, place):
        live = kinds.bounced_matters(kinds.user_matters(user, place, period))
        findings = _with_bounced(findings, live)
    return findings, stored["as_of"]

"""Reads of visits and the care register, always through ``rules``.

Coverage (走访覆盖): of the households in a grid or building, how many had a visit (of any kind,
by anyone) in the last 30 and 90 days, and how many were never visited. The day of ``today``
counts as the last of those days: "last 30 days" is ``visited_at >= start of today - 29 days``.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from gongzhi.accounts.scope import narrow, registry_reach, restrict
from gongzhi.core.places import Place
from gongzhi.core.scope import Actor
from gongzhi.matters.selectors import day_start
from gongzhi.places.models import Building, Grid, Household
from gongzhi.visits import rules
from gongzhi.visits.models import CareSubject, Visit

DAY_LIST_LIMIT = 30


def window_start(today: dt.date, days: int) -> dt.datetime:
    """The first moment of the last ``days`` days, today included."""
    return day_start(today - dt.timedelta(days=days - 1))


@dataclass
class CoverageRow:
    key: int | None
    label: str
    households: int
    visited_30: int
    visited_90: int
    never: int

    @property
    def rate_90(self) -> float | None:
        return round(self.visited_90 / self.households, 3) if self.households else None

    def add(self, other: "CoverageRow") -> None:
        self.households += other.households
        self.visited_30 += other.visited_30
        self.visited_90 += other.visited_90
        self.never += other.never


def _visited_since(start: dt.datetime | None) -> Q:
    """Households with a visit since ``start`` (ever when None), as ``pk IN (visited
    households)``: an uncorrelated subquery that PostgreSQL hashes once, where a correlated
    ``EXISTS`` per household probed the visits' index three times for every household (at
    district scale 2 M probes, 0.7 s of each stored overview). Visits of a building or spot
    have no household and are left out of the list, so ``NOT IN`` stays exact."""
    visits = Visit.objects.filter(household__isnull=False)
    if start is not None:
        visits = visits.filter(visited_at__gte=start)
    return Q(pk__in=visits.values("household_id"))


def coverage_counts(households: QuerySet, today: dt.date, *, by: str | None = None) -> list[dict]:
    """Household counts (total, visited in 30 / 90 days, never) grouped by ``by`` (a lookup
    such as ``unit__building``), or one row for all when ``by`` is None. One query."""
    qs = households.order_by()
    aggregates = {
        "households": Count("id"),
        "visited_30": Count("id", filter=_visited_since(window_start(today, 30))),
        "visited_90": Count("id", filter=_visited_since(window_start(today, 90))),
        "never": Count("id", filter=~_visited_since(None)),
    }
    if by is None:
        return [qs.aggregate(**aggregates)]
    return list(qs.values(by).annotate(**aggregates).order_by(by))


def coverage(user: Actor, *, place: Place | None = None, today: dt.date | None = None) -> dict:
    """Coverage per grid and per building of the households the user may see (two queries
    plus one for the names), with a total row."""
    today = today or timezone.localdate()
    households = narrow(restrict(Household.objects.all(), registry_reach(user)), place)
    grid_rows = coverage_counts(households, today, by="unit__building__grid")
    building_rows = coverage_counts(households, today, by="unit__building")
    grid_ids = [r["unit__building__grid"] for r in grid_rows]
    grid_names = dict(Grid.objects.filter(pk__in=grid_ids).values_list("pk", "name"))
    buildings = {
        b.pk: b
        for b in Building.objects.filter(
            pk__in=[r["unit__building"] for r in building_rows]
        ).select_related("compound", "grid")
    }

    def row(key, label, counts) -> CoverageRow:
        return CoverageRow(
            key=key,
            label=label,
            households=counts["households"],
            visited_30=counts["visited_30"],
            visited_90=counts["visited_90"],
            never=counts["never"],
        )

    grids = [
        row(r["unit__building__grid"], grid_names.get(r["unit__building__grid"], "—"), r)
        for r in grid_rows
    ]
    in_buildings = [(buildings[r["unit__building"]], r) for r in building_rows]
    in_buildings.sort(key=lambda pair: (pair[0].compound.name, pair[0].sort_key()))
    by_building = [row(building.pk, str(building), r) for building, r in in_buildings]
    total = CoverageRow(None, "", 0, 0, 0, 0)
    for grid_row in grids:
        total.add(grid_row)
    return {"grids": grids, "buildings": by_building, "total": total}


# ---- lists -------------------------------------------------------------------------------


def visit_list(user: Actor, *, place: Place | None = None, mine: bool = False) -> QuerySet:
    qs = rules.visits_visible(
        user,
        Visit.objects.select_related(
            "household__unit__building__compound",
            "building__compound",
            "spot__compound",
            "visitor",
            "matter",
        ),
    )
    if mine:
        qs = qs.filter(visitor=user)
    # Not ``narrow``: a visit's place is its household's, its building's or its spot's.
    return qs.filter(rules.visit_place_q(place)) if place is not None else qs


def care_list(user: Actor, *, place: Place | None = None, active: bool | None = True) -> QuerySet:
    """The care subjects the user may see (active, ended, or both for None), each annotated
    with ``reason_visible``."""
    qs: QuerySet = CareSubject.objects.select_related(
        "resident__household__unit__building__compound"
    )
    if active is not None:
        qs = qs.filter(active=active)
    qs = rules.with_reason_visible(user, rules.care_visible(user, qs))
    return narrow(qs, place)


def reasons_shown(subjects: Iterable[Any]) -> int:
    """How many of these care subjects (from ``care_list``, annotated with ``reason_visible``)
    show their reason to the reader."""
    return sum(1 for subject in subjects if subject.reason_visible)


def care_due_for(user: User, today: dt.date) -> QuerySet:
    """Care visits due by ``today`` that the user is assigned to make, most overdue first."""
    qs = CareSubject.objects.active().filter(next_due_on__lte=today)
    assigned = CareSubject.visitors.through.objects.filter(caresubject=OuterRef("pk"), user=user)
    qs = qs.filter(Exists(assigned))
    return qs.order_by("next_due_on", "pk")


@dataclass
class DayItem:
    household: Household
    care: CareSubject | None
    last_visit: dt.datetime | None
    overdue_days: int = 0


def day_list(
    user: User, *, today: dt.date | None = None, limit: int = DAY_LIST_LIMIT
) -> list[DayItem]:
    """ "Who to visit today": the user's care visits due or overdue (most overdue first), then
    the households in the user's visiting reach not visited for longest (never visited first).
    At most ``limit`` items, three queries."""
    today = today or timezone.localdate()
    care = list(
        care_due_for(user, today).select_related("resident__household__unit__building__compound")[
            :limit
        ]
    )
    items = [
        DayItem(
            household=subject.resident.household,
            care=subject,
            last_visit=None,
            overdue_days=(today - subject.next_due_on).days,
        )
        for subject in care
    ]
    taken = {item.household.pk for item in items}
    rest = limit - len(items)
    if rest > 0:
        households = (
            rules.visit_households(user)
            .exclude(pk__in=taken)
            .annotate(last=Max("visits__visited_at"))
            .with_place()
            .order_by(F("last").asc(nulls_first=True), "pk")[:rest]
        )
        items += [DayItem(household=h, care=None, last_visit=h.last) for h in households]
    return items

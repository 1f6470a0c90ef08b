"""The visits app's layers on the community map (``maps.selectors.LAYER_SOURCES``, appended by
``VisitsConfig.ready``): visit coverage over 90 days and care visits due, per building, grid and
compound. They live here, not in the maps app: visits reads the map, never the reverse."""

from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from gongzhi.accounts.scope import registry_reach, restrict
from gongzhi.maps.selectors import SCALE, Layer, Piece
from gongzhi.places.models import Building, Household
from gongzhi.visits.models import CareSubject
from gongzhi.visits.rules import care_visible
from gongzhi.visits.selectors import coverage_counts


def _coverage_pieces() -> list[Piece]:
    # Low coverage is what needs attention, so the scale runs the other way.
    return [
        Piece(0.85, None, SCALE[0], "≥ 85%"),
        Piece(0.7, 0.85, SCALE[1], "70–85%"),
        Piece(0.5, 0.7, SCALE[2], "50–70%"),
        Piece(0.25, 0.5, SCALE[3], "25–50%"),
        Piece(0, 0.25, SCALE[4], "< 25%"),
    ]


def visit_layers() -> list[Layer]:
    """Visit coverage (90 days) and care visits due, read through this app's own selectors and
    rules (so the care register's scope applies on the map too)."""

    def coverage(user, community):
        """Share of the households the user may see visited in 90 days (two queries)."""
        households = restrict(
            Household.objects.filter(unit__building__compound__community=community),
            registry_reach(user),
        )
        rows = coverage_counts(households, timezone.localdate(), by="unit__building")
        places = {
            pk: (grid_id, compound_id)
            for pk, grid_id, compound_id in Building.objects.filter(
                pk__in=[row["unit__building"] for row in rows]
            ).values_list("pk", "grid_id", "compound_id")
        }
        totals: dict[tuple[str, int], list[int]] = {}
        for row in rows:
            grid_id, compound_id = places[row["unit__building"]]
            keys = [("building", row["unit__building"]), ("compound", compound_id)]
            if grid_id is not None:
                keys.append(("grid", grid_id))
            for key in keys:
                total = totals.setdefault(key, [0, 0])
                total[0] += row["visited_90"]
                total[1] += row["households"]
        return {key: round(v / n, 3) for key, (v, n) in totals.items() if n}

    def care_due(user, community):
        """Care subjects the user may see whose visit is due today or overdue (one query)."""
        building = "resident__household__unit__building"
        rows = (
            care_visible(
                user,
                CareSubject.objects.active().filter(
                    next_due_on__lte=timezone.localdate(),
                    **{f"{building}__compound__community": community},
                ),
            )
            .order_by()
            .values(f"{building}_id", f"{building}__grid_id", f"{building}__compound_id")
            .annotate(n=Count("id", distinct=True))
        )
        figures: dict[tuple[str, int], int] = {}
        for row in rows:
            for level, key in (
                ("building", f"{building}_id"),
                ("grid", f"{building}__grid_id"),
                ("compound", f"{building}__compound_id"),
            ):
                if row[key] is not None:
                    figures[(level, row[key])] = figures.get((level, row[key]), 0) + row["n"]
        return figures

    def link(name: str):
        return lambda level, pk: reverse(name) + "?" + urlencode({"place": f"{level}:{pk}"})

    return [
        Layer(
            "coverage",
            gettext_lazy("Visit coverage (90 days)"),
            gettext_lazy("households visited in 90 days"),
            coverage,
            link("visits:coverage"),
            pieces=_coverage_pieces,
            percent=True,
            missing=None,
        ),
        Layer(
            "care_due",
            gettext_lazy("Care visits due"),
            gettext_lazy("care visits due"),
            care_due,
            link("visits:care"),
        ),
    ]

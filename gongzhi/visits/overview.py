"""The ``visits`` and ``care`` sections of ``gongzhi overview`` (registered in ``apps.py``).

* ``visits``: ``total`` visits, ``last_30_days`` visits, ``households_covered_90d``
  (households with a visit in the last 90 days) and ``coverage_90d`` (that over all
  households, None without households) — the definitions of ``selectors.coverage``;
* ``care``: active ``registered`` subjects, ``visits_due`` (due by today, overdue included)
  and ``visits_overdue`` (past their due day).
"""

from django.db.models import Count, Q
from django.utils import timezone

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.places.models import Household
from gongzhi.visits.models import CareSubject, Visit
from gongzhi.visits.selectors import coverage_counts, window_start


def visits_section(place: Place | None) -> dict:
    today = timezone.localdate()
    visits = narrow(Visit.objects.all(), place).aggregate(
        total=Count("id"), last_30=Count("id", filter=Q(visited_at__gte=window_start(today, 30)))
    )
    households = coverage_counts(narrow(Household.objects.all(), place), today)[0]
    whole = households["households"]
    return {
        "visits": {
            "total": visits["total"],
            "last_30_days": visits["last_30"],
            "households_covered_90d": households["visited_90"],
            "coverage_90d": round(households["visited_90"] / whole, 3) if whole else None,
        }
    }


def care_section(place: Place | None) -> dict:
    today = timezone.localdate()
    counts = narrow(CareSubject.objects.active(), place).aggregate(
        registered=Count("id"),
        due=Count("id", filter=Q(next_due_on__lte=today)),
        overdue=Count("id", filter=Q(next_due_on__lt=today)),
    )
    return {
        "care": {
            "registered": counts["registered"],
            "visits_due": counts["due"],
            "visits_overdue": counts["overdue"],
        }
    }

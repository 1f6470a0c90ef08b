"""The ``mediation_cases`` section of ``gongzhi overview`` (registered in ``apps.py``).

* ``total``, ``by_status``, ``by_outcome``;
* ``success_rate``: agreements reached (fully) among cases with an outcome; ``partly`` is
  counted separately, in ``by_outcome``; None when no case has an outcome yet;
* ``held_at_follow_up``: of the agreements (full or partial) whose follow-up visits are all
  recorded, how many held at every visit, and the rate (None when none is finished).
"""

from django.db.models import Count, Exists, OuterRef, Q

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.mediation.models import CaseStatus, FollowUp, MediationCase, Outcome


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def mediation_section(place: Place | None) -> dict:
    cases = narrow(MediationCase.objects.all(), place)
    counts = cases.aggregate(
        total=Count("id"),
        **{f"s_{s.value}": Count("id", filter=Q(status=s)) for s in CaseStatus},
        **{f"o_{o.value}": Count("id", filter=Q(outcome=o)) for o in Outcome},
    )
    with_outcome = sum(counts[f"o_{o.value}"] for o in Outcome)
    followed = cases.filter(
        outcome__in=[Outcome.AGREED, Outcome.PARTLY], status=CaseStatus.CLOSED
    ).annotate(
        broke=Exists(FollowUp.objects.filter(case=OuterRef("pk"), held=False)),
    )
    finished = followed.aggregate(n=Count("id"), kept=Count("id", filter=Q(broke=False)))
    return {
        "mediation_cases": {
            "total": counts["total"],
            "by_status": {s.value: counts[f"s_{s.value}"] for s in CaseStatus},
            "by_outcome": {o.value: counts[f"o_{o.value}"] for o in Outcome},
            "success_rate": _rate(counts[f"o_{Outcome.AGREED.value}"], with_outcome),
            "held_at_follow_up": {
                "followed_up": finished["n"],
                "held": finished["kept"],
                "rate": _rate(finished["kept"], finished["n"]),
            },
        }
    }

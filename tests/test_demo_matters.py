"""The demo's year of matters: volume, distributions, histories that obey the state machine.

Seeding the whole demo takes several seconds, so the checks on the seeded data
(``check_demo_matters``) run inside the single seeding test of ``tests/test_demo.py``. The
allowed steps come from the state machine's tables in ``gongzhi.matters.models``, not copies.
"""

import datetime as dt
import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from gongzhi.matters.models import (
    OPEN_STATUSES,
    SOURCES,
    TARGETS,
    Category,
    Matter,
    MatterEvent,
    MatterReporter,
    Status,
)
from gongzhi.matters.rates import three_rates
from gongzhi.matters.selectors import monthly_trend

# Events that record something without moving the matter (route, classify, the sweep's …).
STILL = {"route", "classify", "absorb", "overdue", "escalate", "whistle_response", "photo"}


def documented_steps() -> set[tuple[str, str, str]]:
    """(from, to, action) triples of the state machine in ``gongzhi.matters.models``."""
    sources = {
        **SOURCES,
        "submit": ("",),
        "reopen": SOURCES["feedback"],
        "escalate": SOURCES["feedback"],
    }
    return {
        (source, target, action)
        for action, targets in TARGETS.items()
        for source in sources[action]
        for target in targets
    }


def replay_errors(events, steps) -> list[str]:
    """Problems found replaying ``(matter_id, from, to, action)`` rows in time order."""
    status: dict[int, str] = {}
    errors = []
    for matter_id, from_status, to_status, action in events:
        current = status.get(matter_id, "")
        # Events that keep the status: written with no "from" (the sweep) or from == to.
        if action in STILL and from_status in ("", to_status):
            if to_status != current:
                errors.append(f"#{matter_id} {action}: says {to_status}, is {current}")
            continue
        if from_status != current:
            errors.append(f"#{matter_id} {action}: from {from_status}, but is {current}")
        if (from_status, to_status, action) not in steps:
            errors.append(f"#{matter_id}: {from_status} -{action}-> {to_status} not allowed")
        status[matter_id] = to_status
    return errors


def check_demo_matters(community_name: str = "X社区") -> None:
    """Assertions on the seeded demo; called from the seeding test in tests/test_demo.py."""
    matters = Matter.objects.filter(community__name=community_name)
    total = matters.count()
    assert 3000 <= total <= 4000

    def share(field):
        return {k: n / total for k, n in Counter(matters.values_list(field, flat=True)).items()}

    categories = share("category")
    assert set(categories) == set(Category.values)
    top3 = sorted(categories, key=categories.get, reverse=True)[:3]
    assert set(top3) == {"facilities", "sanitation", "parking"}
    tiers = share("tier")
    assert 0.55 <= tiers["small"] <= 0.65
    assert 0.25 <= tiers["big"] <= 0.35
    assert 0.07 <= tiers["hard"] <= 0.13
    channels = share("channel")
    assert channels["grid_visit"] > channels["online_wechat"] > channels["meeting"]
    assert channels["building_visit"] > channels["online_phone"]
    # Greening peaks in spring.
    spring = matters.filter(category="greening", created_at__month__in=[3, 4, 5]).count()
    winter = matters.filter(category="greening", created_at__month__in=[12, 1, 2]).count()
    assert spring > 2 * winter

    # Every status a year produces: mostly closed, a few of every other ending, some still open.
    statuses = share("status")
    assert statuses["closed"] > 0.8
    for status in ("merged", "referred", "rejected", "withdrawn"):
        assert 0 < statuses[status] < 0.05
    assert matters.filter(status__in=OPEN_STATUSES).count() > 20
    assert matters.filter(overdue=True).exists()
    # A living demo: its year ends on the day it is seeded, so the last week and the current
    # month have matters whatever the day (core/demodates.py).
    today = timezone.localdate()
    week_ago = timezone.now() - dt.timedelta(days=7)
    assert matters.filter(created_at__gte=week_ago).count() >= 20
    assert matters.filter(created_at__date__lt=today - dt.timedelta(days=366)).count() == 0
    monthly = monthly_trend(matters, months=[today.replace(day=1)])
    # Seeded up to midnight: on the 1st the current month has just begun.
    assert monthly["submitted"][0] > 0 or today.day == 1
    rated = Counter(matters.exclude(satisfaction="").values_list("satisfaction", flat=True))
    assert rated["satisfied"] / sum(rated.values()) > 0.75
    assert MatterEvent.objects.filter(matter__in=matters, action="reopen").exists()

    # Histories obey the state machine of docs/matters.md, event by event.
    events = MatterEvent.objects.filter(matter__community__name=community_name).order_by(
        "matter_id", "at", "id"
    )
    assert (
        replay_errors(
            events.values_list("matter_id", "from_status", "to_status", "action").iterator(),
            documented_steps(),
        )
        == []
    )
    # … and end where the matter is.
    last = {}
    for matter_id, to_status in events.values_list("matter_id", "to_status"):
        last[matter_id] = to_status
    assert last == dict(matters.values_list("pk", "status"))

    # Reporters are real residents of the place (or anonymous WeChat users with a contact).
    named = matters.exclude(reporter=None)
    mismatched = [
        m.pk
        for m in named.select_related("reporter__household__unit__building")
        if m.reporter.household.unit.building.compound_id != m.compound_id
    ]
    assert mismatched == []
    anonymous = matters.filter(reporter=None)
    assert anonymous.exists() and all(m.reporter_contact for m in anonymous)
    assert not matters.annotate(n=Count("reporters")).filter(n=0).exists()
    assert MatterReporter.objects.filter(matter__in=matters).exclude(from_matter=None).exists()
    assert not matters.filter(status=Status.MERGED, merged_into=None).exists()
    # Assigned matters have an owner from the routing candidates of their community.
    assert not matters.filter(assigned_at__isnull=False, owners__isnull=True).exists()

    # The overview's matters section agrees with three_rates over the same matters.
    out = io.StringIO()
    call_command("overview", "--json", "--community", community_name, stdout=out)
    section = json.loads(out.getvalue())["matters"]
    assert section["total"] == total
    assert sum(section["by_status"].values()) == total
    assert sum(section["by_tier"].values()) == total
    assert sum(section["by_channel"].values()) == total
    rates = three_rates(matters)
    assert section["rates"] == {
        k: rates[k] for k in ("response", "resolution", "satisfaction", "composite")
    }
    assert all(0 < value <= 1 for value in section["rates"].values())


def test_the_documented_steps_cover_the_state_machine():
    steps = documented_steps()
    assert ("", "received", "submit") in steps
    assert ("received", "acknowledged", "acknowledge") in steps
    assert ("in_progress", "assigned", "assign") in steps
    assert ("done", "closed", "feedback") in steps
    assert ("done", "in_progress", "reopen") in steps
    assert ("assigned", "merged", "merge") in steps
    assert ("in_progress", "merged", "merge") not in steps
    assert ("acknowledged", "deliberating", "deliberate") not in steps


def test_replay_catches_a_skipped_or_wrong_step():
    steps = documented_steps()
    good = [
        (1, "", "received", "submit"),
        (1, "", "received", "overdue"),
        (1, "received", "acknowledged", "acknowledge"),
        (1, "acknowledged", "assigned", "assign"),
        (1, "assigned", "in_progress", "start"),
        (1, "in_progress", "done", "complete"),
        (1, "done", "closed", "feedback"),
    ]
    assert replay_errors(good, steps) == []
    skipped = [good[0], (1, "acknowledged", "assigned", "assign")]
    assert len(replay_errors(skipped, steps)) == 1
    wrong = [*good[:3], (1, "acknowledged", "done", "complete")]
    assert "not allowed" in replay_errors(wrong, steps)[0]
    still = [good[0], (1, "", "done", "overdue")]
    assert replay_errors(still, steps)


@pytest.mark.django_db
def test_overview_has_a_matters_section_without_matters(world):
    out = io.StringIO()
    call_command("overview", "--json", "--community", "X社区", stdout=out)
    section = json.loads(out.getvalue())["matters"]
    assert section["total"] == 0
    assert set(section["by_status"]) == set(Status.values)
    assert section["rates"] == {
        "response": None,
        "resolution": None,
        "satisfaction": None,
        "composite": None,
    }

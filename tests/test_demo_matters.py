"""The demo's year of matters: volume, distributions, histories that obey the state machine.

Seeding the whole demo takes several seconds: the checks on the seeded data
(``check_demo_matters`` in ``tests/demo_checks.py``) run in ``tests/test_demo.py``,
which seeds it once. The
allowed steps come from the state machine's tables in ``gongzhi.matters.models``, not copies.
"""

import io
import json

import pytest
from django.core.management import call_command

from gongzhi.matters.models import (
    Status,
)
from tests.demo_checks import documented_steps, replay_errors

# Events that record something without moving the matter (route, classify, the sweep's …).


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

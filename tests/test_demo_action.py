"""The demo's year of deliberation meetings and mediation cases (``gongzhi/demo/seed_action.py``).

Seeding the whole demo takes several seconds: the checks on the seeded data
(``check_demo_action`` in ``tests/demo_checks.py``) run in ``tests/test_demo.py``,
which seeds it once.
"""

import pytest

from gongzhi.demo.seed_action import seed_action
from gongzhi.meetings.models import (
    Venue,
)
from gongzhi.places.models import Community


@pytest.mark.django_db
def test_seed_action_needs_the_demo_community(world):
    """A community without the demo's compounds gets nothing (and no error)."""
    community = Community.objects.get(name="Y社区")
    assert seed_action(community) == 0
    assert not Venue.objects.filter(community=community).exists()

"""``network.graph.matter_teams`` (what the isolated teams read of the matters): for every
team, whether it is an actor of a matter of the place in the period and whether one of those
matters has another actor — exactly what the gathered works (``collect_works``) say."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from gongzhi.accounts.scope import EVERYWHERE
from gongzhi.core.places import Place
from gongzhi.matters.models import MatterOwner
from gongzhi.network.graph import Filters, collect_works, graph_bounds, matter_teams
from gongzhi.network.models import WorkKind
from gongzhi.partners.models import Team, TeamKind
from tests.factories_matters import make_matter
from tests.factories_network import at, own

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


def from_works(place, since, until) -> dict[str, bool]:
    start, end = graph_bounds(Filters(until=until, since=since))
    works = collect_works(EVERYWHERE, place, {WorkKind.MATTER}, start, end)
    found: dict[str, bool] = {}
    for work in works.values():
        for key in work.actors:
            if key.startswith("team:"):
                found[key] = found.get(key, False) or len(work.actors) > 1
    return found


def test_matter_teams_match_the_gathered_works(world):
    w = world
    alone = Team.objects.create(name="独行队", kind=TeamKind.VOLUNTEER, community=w.a)
    twice = Team.objects.create(name="重派队", kind=TeamKind.VOLUNTEER, community=w.a)
    with_user = Team.objects.create(name="网格队", kind=TeamKind.VOLUNTEER, community=w.a)
    late = Team.objects.create(name="迟到队", kind=TeamKind.VOLUNTEER, community=w.b)
    # 渔家苑's team with a partner; 江南's team with an organisation, in 渔家苑.
    own(make_matter(building=w.y1), w.team_a, w.p_neighbour, day=DAY)
    own(make_matter(building=w.y2), w.team_b, w.org_dept, day=DAY)
    own(make_matter(building=w.j1), alone, day=DAY)
    # The same team assigned twice (bounced back to it): one actor.
    own(make_matter(building=w.j1), twice, twice, day=DAY)
    # A user owner is no actor of the network.
    user = get_user_model().objects.create(username="手工")
    matter = make_matter(community=w.b)
    own(matter, with_user, day=DAY)
    MatterOwner.objects.create(matter=matter, user=user, assigned_at=at(DAY))
    # Two teams together, one of them assigned after the period.
    together = make_matter(building=w.n1)
    own(together, alone, day=DAY)
    own(together, late, day=DAY + dt.timedelta(days=40))

    since, until = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    start, end = graph_bounds(Filters(until=until, since=since))
    places = [None, Place("subdistrict", w.sub.pk), Place("community", w.a.pk)]
    places += [Place("community", w.b.pk), Place("compound", w.jinxiu.pk)]
    for place in places:
        assert matter_teams(EVERYWHERE, place, start, end) == from_works(place, since, until)
    everything = matter_teams(EVERYWHERE, None, start, end)
    assert everything == {
        f"team:{w.team_a.pk}": True,
        f"team:{w.team_b.pk}": True,
        f"team:{alone.pk}": False,
        f"team:{twice.pk}": False,
        f"team:{with_user.pk}": False,
    }
    # With the late assignment inside the period, the two teams are linked.
    start, end = graph_bounds(Filters(until=until + dt.timedelta(days=60), since=since))
    widened = matter_teams(EVERYWHERE, None, start, end)
    assert widened[f"team:{alone.pk}"] and widened[f"team:{late.pk}"]
    assert widened == from_works(None, since, until + dt.timedelta(days=60))
    # A compound's matters only: 江南小区 has the two teams' matter, not Y社区's own one.
    assert matter_teams(EVERYWHERE, Place("compound", w.jiangnan.pk), start, end) == {
        f"team:{alone.pk}": True,
        f"team:{late.pk}": True,
    }

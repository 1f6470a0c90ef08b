"""Pages that stay bounded when a user's reach is district-sized: the place filter's options
and the matters dashboard's rates per compound (one grouped query, equal to ``three_rates``)."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.listing import pages as listing
from gongzhi.matters.models import Matter
from gongzhi.matters.rates import three_rates
from gongzhi.matters.selectors import rates_by_compound
from gongzhi.places.models import Compound
from tests.factories_matters import make_matter

pytestmark = pytest.mark.django_db


def labels(user):
    return [group.label for group in listing.place_options(user)]


def test_buildings_and_grids_are_left_out_of_the_select_above_the_bound(world, monkeypatch):
    official = world.users.official
    with_all = listing.place_options(official)
    assert any(o.value.startswith("building:") for g in with_all for o in g.options)
    monkeypatch.setattr(listing, "MAX_OPTIONS", 1)
    bounded = listing.place_options(official)
    values = [o.value for g in bounded for o in g.options]
    assert not any(v.startswith(("building:", "grid:")) for v in values)
    assert any(v.startswith("compound:") for v in values)


def test_rates_by_compound_equal_three_rates_of_each_compound(world):
    now = timezone.now()
    for i, building in enumerate([world.y1, world.y1, world.y1]):
        make_matter(building=building, created_at=now - dt.timedelta(hours=i + 1))
    matters = Matter.objects.all()
    grouped = rates_by_compound(matters, Compound.objects.all())
    assert grouped
    for compound, rates in grouped:
        direct = three_rates(matters.filter(compound=compound))
        assert {k: rates[k] for k in ("response", "resolution", "satisfaction", "composite")} == {
            k: direct[k] for k in ("response", "resolution", "satisfaction", "composite")
        }
        assert rates["counts"] == direct["counts"]

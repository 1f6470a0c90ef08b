"""Reads of the place tree, with household and resident counts from aggregate queries.

Places follow the directory reach (everyone sees the places of their community); the counts
come from households, which follow the registry reach, so a grid worker's counts cover their
own grid and a partner's are empty.
"""

from dataclasses import dataclass, field

from django.db.models import Count
from django.shortcuts import get_object_or_404

from gongzhi.core.naturalsort import natural_key
from gongzhi.places.models import Building, Compound, Household, Unit
from gongzhi.places.rules import households_visible, places_visible


@dataclass
class Counts:
    households: int = 0
    residents: int = 0

    def add(self, other: "Counts") -> None:
        self.households += other.households
        self.residents += other.residents


@dataclass
class BuildingNode:
    building: Building
    counts: Counts


@dataclass
class CompoundNode:
    compound: Compound
    buildings: list[BuildingNode] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


@dataclass
class CommunityNode:
    community: object
    compounds: list[CompoundNode] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


def building_counts(user) -> dict[int, Counts]:
    """Households and residents the user may see, per building id (one query)."""
    rows = (
        households_visible(user, Household.objects.order_by())
        .values("unit__building_id")
        .annotate(households=Count("id", distinct=True), residents=Count("residents"))
    )
    return {r["unit__building_id"]: Counts(r["households"], r["residents"]) for r in rows}


def place_tree(user) -> list[CommunityNode]:
    """Community → compounds → buildings the user may see, with counts (three queries), in
    natural order (2栋 before 10栋)."""
    compounds = places_visible(user, Compound.objects.select_related("community"))
    buildings = sorted(
        places_visible(user, Building.objects.select_related("grid")),
        key=Building.sort_key,
    )
    counts = building_counts(user)
    communities: dict[int, CommunityNode] = {}
    by_compound: dict[int, CompoundNode] = {}
    compounds = sorted(
        compounds,
        key=lambda c: (natural_key(c.community.name), c.community_id, natural_key(c.name)),
    )
    for compound in compounds:
        node = communities.setdefault(compound.community_id, CommunityNode(compound.community))
        by_compound[compound.pk] = CompoundNode(compound)
        node.compounds.append(by_compound[compound.pk])
    for building in buildings:
        compound_node = by_compound.get(building.compound_id)
        if compound_node is None:
            continue
        building_node = BuildingNode(building, counts.get(building.pk, Counts()))
        compound_node.buildings.append(building_node)
        compound_node.counts.add(building_node.counts)
    for node in communities.values():
        for compound_node in node.compounds:
            node.counts.add(compound_node.counts)
    return list(communities.values())


def building_get(user, pk: int) -> Building:
    """The building, if the user may see it (404 otherwise)."""
    qs = places_visible(user, Building.objects.select_related("compound__community", "grid"))
    return get_object_or_404(qs, pk=pk)


def unit_get(user, pk: int) -> Unit:
    qs = places_visible(user, Unit.objects.select_related("building__compound__community"))
    return get_object_or_404(qs, pk=pk)


def building_units(building: Building) -> list[Unit]:
    return sorted(building.units.all(), key=lambda unit: (unit.number, natural_key(unit.name)))

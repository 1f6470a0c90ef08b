from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gongzhi.core.places import Place
from gongzhi.core.scope import is_staff_like
from gongzhi.partners.models import PartnerStatus
from gongzhi.partners.selectors import partner_list
from gongzhi.people.selectors import household_list
from gongzhi.places.selectors import Counts, building_get, building_units, place_tree, unit_get


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "places/tree.html",
        {"communities": place_tree(request.user), "show_counts": is_staff_like(request.user)},
    )


@login_required
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    building = building_get(request.user, pk)
    place = Place("building", building.pk)
    households = list(household_list(request.user, place=place))
    units = [
        (unit, [h for h in households if h.unit_id == unit.pk]) for unit in building_units(building)
    ]
    counts = None
    if is_staff_like(request.user):
        counts = Counts(len(households), sum(h.resident_count for h in households))
    return render(
        request,
        "places/building.html",
        {
            "building": building,
            "units": units,
            "counts": counts,
            "partners": partner_list(request.user, place=place, status=PartnerStatus.ACTIVE),
        },
    )


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = unit_get(request.user, pk)
    households = household_list(request.user).filter(unit=unit)
    return render(request, "places/unit.html", {"unit": unit, "households": households})

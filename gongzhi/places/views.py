"""The place pages: the tree, a building and a unit.

A building's and a unit's page show what the apps above hold there (households, partners)
through ``BUILDING_SECTIONS`` and ``UNIT_SECTIONS``: ``section(user, place) -> context entries``,
appended from those apps' ``AppConfig.ready`` (people: a building's units with their households
and, for staff, the counts; a unit's households. partners: a building's active partners).
Places sits below them and never imports them.
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gongzhi.core.scope import is_staff_like
from gongzhi.places.models import Building, Unit
from gongzhi.places.selectors import building_get, place_tree, unit_get

BUILDING_SECTIONS: list[Callable[[Any, Building], dict[str, Any]]] = []
UNIT_SECTIONS: list[Callable[[Any, Unit], dict[str, Any]]] = []


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
    context: dict[str, Any] = {"building": building}
    for section in BUILDING_SECTIONS:
        context.update(section(request.user, building))
    return render(request, "places/building.html", context)


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = unit_get(request.user, pk)
    context: dict[str, Any] = {"unit": unit}
    for section in UNIT_SECTIONS:
        context.update(section(request.user, unit))
    return render(request, "places/unit.html", context)

"""The registry's pages: residents and households, their lists and their pages."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from gongzhi.audit.models import AuditAction
from gongzhi.audit.services import record, record_list
from gongzhi.core.places import Place
from gongzhi.core.scope import is_staff_like
from gongzhi.listing.pages import choice_param, place_param, render_list, text_param
from gongzhi.people.excel import households_export, residents_export
from gongzhi.people.models import Gender, Resident, Tag
from gongzhi.people.rules import (
    can_see_full_numbers,
    may_see_sensitive_tags,
    residents_visible,
    tags_visible,
)
from gongzhi.people.selectors import household_list, resident_list, with_visible_tags
from gongzhi.places.models import Building, Household, Unit
from gongzhi.places.rules import households_visible
from gongzhi.places.selectors import Counts, building_units

# What the apps above lend a resident's page (``section(user, resident) -> context entries``),
# appended from their ``AppConfig.ready``: partners adds ``partnerships`` (the resident's
# partner records the user may see). People never imports them.
RESIDENT_SECTIONS: list[Callable[[Any, Resident], dict[str, Any]]] = []


def resident_get(user, pk: int) -> Resident:
    """The resident, if the user may see them (404 otherwise)."""
    qs = residents_visible(user, with_visible_tags(user, Resident.objects.with_place()))
    return get_object_or_404(qs, pk=pk)


def household_get(user, pk: int) -> Household:
    """The household, if the user may see it (404 otherwise)."""
    return get_object_or_404(households_visible(user, Household.objects.with_place()), pk=pk)


def is_export(request: HttpRequest) -> bool:
    # An export is recorded as such by ``render_list``.
    return request.GET.get("format") == "xlsx"


@login_required
def resident_list_view(request: HttpRequest) -> HttpResponse:
    def rows():
        qs = resident_list(
            request.user,
            place=place_param(request),
            tag=text_param(request, "tag"),
            gender=choice_param(request, "gender", Gender),
            search=text_param(request, "q"),
        )
        if not is_export(request):
            record_list(request, "residents")
        return qs

    return render_list(
        request,
        rows=rows,
        template="people/resident_list.html",
        partial="people/_resident_rows.html",
        export=lambda qs: residents_export(
            qs, personal=False, sensitive_tags=may_see_sensitive_tags(request.user)
        ),
        filename="居民名册.xlsx",
        context={"tags": tags_visible(request.user, Tag.objects.all()), "genders": Gender.choices},
    )


def _resident_page(request: HttpRequest, resident: Resident, *, full: bool) -> HttpResponse:
    context = {
        "resident": resident,
        "full": full,
        "can_see_full_numbers": can_see_full_numbers(request.user),
    }
    for section in RESIDENT_SECTIONS:
        context.update(section(request.user, resident))
    response = render(request, "people/resident_detail.html", context)
    # Personal data: never kept by a browser's or a proxy's cache.
    add_never_cache_headers(response)
    return response


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = resident_get(request.user, pk)
    record(request, AuditAction.VIEW, f"resident:{resident.pk}", place=resident)
    return _resident_page(request, resident, full=False)


@login_required
@require_POST
def resident_full_numbers(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident's page with the full ID number and phone, for those who manage the
    registry; every use is a "decrypt" record on the audit trail."""
    resident = resident_get(request.user, pk)
    if not can_see_full_numbers(request.user):
        raise PermissionDenied
    record(
        request,
        AuditAction.DECRYPT,
        f"resident:{resident.pk}",
        place=resident,
        detail={"fields": ["id_number", "phone"]},
    )
    return _resident_page(request, resident, full=True)


@login_required
def household_list_view(request: HttpRequest) -> HttpResponse:
    def rows():
        qs = household_list(
            request.user, place=place_param(request), search=text_param(request, "q")
        )
        if not is_export(request):
            record_list(request, "households")
        return qs

    return render_list(
        request,
        rows=rows,
        template="people/household_list.html",
        partial="people/_household_rows.html",
        export=households_export,
        filename="住户名册.xlsx",
    )


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = household_get(request.user, pk)
    members = residents_visible(
        request.user, with_visible_tags(request.user, household.residents.order_by("id"))
    )
    record(request, AuditAction.VIEW, f"household:{household.pk}", place=household)
    return render(
        request, "people/household_detail.html", {"household": household, "members": members}
    )


def building_households(user, building: Building) -> dict:
    """A building's page (``places.views.BUILDING_SECTIONS``, appended from
    ``PeopleConfig.ready``): its units, each with the households the user may see, and for
    staff the number of households and residents."""
    households = list(household_list(user, place=Place("building", building.pk)))
    units = [
        (unit, [h for h in households if h.unit_id == unit.pk]) for unit in building_units(building)
    ]
    counts = None
    if is_staff_like(user):
        counts = Counts(len(households), sum(h.resident_count for h in households))
    return {"units": units, "counts": counts}


def unit_households(user, unit: Unit) -> dict:
    """A unit's page (``places.views.UNIT_SECTIONS``): the households the user may see."""
    return {"households": household_list(user).filter(unit=unit)}

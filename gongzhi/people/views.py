from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from gongzhi.core.listing import choice_param, place_param, render_list, text_param
from gongzhi.partners.rules import partners_visible
from gongzhi.people.excel import households_export, residents_export
from gongzhi.people.models import Gender, Resident, Tag
from gongzhi.people.rules import residents_visible
from gongzhi.people.selectors import household_list, resident_list
from gongzhi.places.models import Household
from gongzhi.places.rules import households_visible


def resident_get(user, pk: int) -> Resident:
    """The resident, if the user may see them (404 otherwise)."""
    qs = residents_visible(user, Resident.objects.with_place().prefetch_related("tags"))
    return get_object_or_404(qs, pk=pk)


def household_get(user, pk: int) -> Household:
    """The household, if the user may see it (404 otherwise)."""
    return get_object_or_404(households_visible(user, Household.objects.with_place()), pk=pk)


@login_required
def resident_list_view(request: HttpRequest) -> HttpResponse:
    def rows():
        return resident_list(
            request.user,
            place=place_param(request),
            tag=text_param(request, "tag"),
            gender=choice_param(request, "gender", Gender),
            search=text_param(request, "q"),
        )

    return render_list(
        request,
        rows=rows,
        template="people/resident_list.html",
        partial="people/_resident_rows.html",
        export=lambda qs: residents_export(qs, personal=False),
        filename="居民名册.xlsx",
        context={"tags": Tag.objects.all(), "genders": Gender.choices},
    )


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = resident_get(request.user, pk)
    return render(
        request,
        "people/resident_detail.html",
        {
            "resident": resident,
            "partnerships": partners_visible(request.user, resident.partnerships.with_place()),
        },
    )


@login_required
def household_list_view(request: HttpRequest) -> HttpResponse:
    def rows():
        return household_list(
            request.user, place=place_param(request), search=text_param(request, "q")
        )

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
        request.user, household.residents.prefetch_related("tags").order_by("id")
    )
    return render(
        request, "people/household_detail.html", {"household": household, "members": members}
    )

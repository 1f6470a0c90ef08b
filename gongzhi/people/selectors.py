"""Reads of residents and households, shared by web views, API and exports."""

from django.db.models import Count, Q, QuerySet

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.people.models import Resident
from gongzhi.people.rules import residents_visible
from gongzhi.places.models import Household
from gongzhi.places.rules import households_visible


def resident_list(
    user,
    *,
    place: Place | None = None,
    tag: str | None = None,
    search: str | None = None,
    gender: str | None = None,
) -> QuerySet[Resident]:
    """Residents the user may see, narrowed by place, tag name, gender and a name search."""
    qs = residents_visible(user, Resident.objects.with_place())
    qs = narrow(qs, place)
    if tag:
        qs = qs.filter(tags__name=tag)
    if gender:
        qs = qs.filter(gender=gender)
    if search:
        qs = qs.filter(name__contains=search.strip())
    return qs.prefetch_related("tags").order_by("household_id", "id")


def household_list(user, *, place: Place | None = None, search: str | None = None):
    qs = households_visible(user, Household.objects.with_place())
    qs = narrow(qs, place)
    if search:
        qs = qs.filter(Q(room__contains=search) | Q(residents__name__contains=search)).distinct()
    return qs.annotate(resident_count=Count("residents")).order_by("unit_id", "room")

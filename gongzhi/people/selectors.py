"""Reads of residents and households, shared by web views, API and exports."""

from django.db.models import Count, Prefetch, Q, QuerySet

from gongzhi.core.places import Place
from gongzhi.core.scope import Actor, narrow
from gongzhi.people.models import Resident, Tag
from gongzhi.people.rules import may_see_sensitive_tags, residents_visible, tags_visible
from gongzhi.places.models import Household
from gongzhi.places.rules import households_visible


def with_visible_tags(user: Actor, qs: QuerySet[Resident]) -> QuerySet[Resident]:
    """Prefetch each resident's tags that ``user`` may see as ``visible_tags`` (a list)."""
    return qs.prefetch_related(
        Prefetch("tags", queryset=tags_visible(user, Tag.objects.all()), to_attr="visible_tags")
    )


def resident_list(
    user: Actor,
    *,
    place: Place | None = None,
    tag: str | None = None,
    search: str | None = None,
    gender: str | None = None,
) -> QuerySet[Resident]:
    """Residents the user may see, narrowed by place, tag name, gender and a name search.
    A sensitive tag the user may not see matches nobody."""
    qs = residents_visible(user, Resident.objects.with_place())
    qs = narrow(qs, place)
    if tag:
        # One filter() call: both conditions on the same tag row.
        lookup: dict[str, object] = {"tags__name": tag}
        if not may_see_sensitive_tags(user):
            lookup["tags__sensitive"] = False
        qs = qs.filter(**lookup)
    if gender:
        qs = qs.filter(gender=gender)
    if search:
        qs = qs.filter(name__contains=search.strip())
    return with_visible_tags(user, qs).order_by("household_id", "id")


def household_list(user: Actor, *, place: Place | None = None, search: str | None = None):
    qs = households_visible(user, Household.objects.with_place())
    qs = narrow(qs, place)
    if search:
        qs = qs.filter(Q(room__contains=search) | Q(residents__name__contains=search)).distinct()
    return qs.annotate(resident_count=Count("residents")).order_by("unit_id", "room")

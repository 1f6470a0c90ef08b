"""The scoped experience query shared by the library page, the API and the export."""

from django.db.models import Q, QuerySet

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.experiences.models import Experience
from gongzhi.experiences.rules import experiences_visible


def experience_list(
    user, *, place: Place | None = None, q: str = "", tag: str = ""
) -> QuerySet[Experience]:
    """Entries the user may see; ``q`` matches every word in title, body or tags."""
    qs = narrow(experiences_visible(user), place)
    for word in q.split()[:5]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(body__icontains=word)
            | Q(pk__in=Experience.objects.filter(tags__name__icontains=word).values("pk"))
        )
    if tag:
        qs = qs.filter(pk__in=Experience.objects.filter(tags__name=tag).values("pk"))
    return qs.select_related("community", "compound", "building").prefetch_related("tags")

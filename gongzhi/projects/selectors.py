"""Scoped list queries shared by the web pages, the API and the Excel export."""

from django.db.models import Q, QuerySet

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.projects.models import Project, Wish
from gongzhi.projects.rules import projects_visible, wishes_visible


def project_list(
    user, *, place: Place | None = None, kind: str = "", stage: str = "", q: str = ""
) -> QuerySet[Project]:
    qs = narrow(projects_visible(user), place)
    if kind:
        qs = qs.filter(kind=kind)
    if stage:
        qs = qs.filter(stage=stage)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return qs.select_related("community", "compound", "building", "planner")


def wish_list(user, *, place: Place | None = None, status: str = "") -> QuerySet[Wish]:
    qs = narrow(wishes_visible(user), place)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("community", "compound", "building", "claimed_by")

"""The ``projects`` overview section: micro-projects by kind (and, separately, by stage)."""

from django.db.models import Count, Q

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place


def projects_section(place: Place | None) -> dict:
    from gongzhi.projects.models import Kind, Project, Stage, Wish

    projects = narrow(Project.objects.all(), place)
    by_kind = projects.aggregate(**{k: Count("id", filter=Q(kind=k)) for k in Kind.values})
    by_stage = projects.aggregate(**{s: Count("id", filter=Q(stage=s)) for s in Stage.values})
    return {
        "projects": by_kind,
        "projects_by_stage": by_stage,
        "wishes": narrow(Wish.objects.all(), place).count(),
    }

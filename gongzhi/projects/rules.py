"""Who may see and act on micro-projects and wishes.

Seeing: projects and wishes are the public face of governance, so they follow the directory
reach (everyone sees their own community, officials their subdistrict).

Acting:

* community staff of the project's community (and superusers) run the stages;
* the project's community planner (a partner account) logs supervision and co-building;
* residents whose home lies inside the project's scope vote in the pre-evaluation and rate it
  in the post-evaluation;
* residents post wishes; partners of the community claim and fulfil them; the wisher confirms.
"""

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import directory_reach, is_community_staff_of, profile_of, restrict
from gongzhi.core.places import Place, place_q
from gongzhi.people.models import Resident
from gongzhi.projects.models import Project, Wish


def projects_visible(user, qs=None):
    return restrict(Project.objects.all() if qs is None else qs, directory_reach(user))


def wishes_visible(user, qs=None):
    return restrict(Wish.objects.all() if qs is None else qs, directory_reach(user))


def in_reach(user, obj) -> bool:
    model = type(obj)
    return restrict(model.objects.filter(pk=obj.pk), directory_reach(user)).exists()


def is_manager(user, project_or_wish) -> bool:
    """Community staff of the record's community, or a superuser."""
    return can_propose(user, project_or_wish.community_id)


def can_propose(user, community_id: int) -> bool:
    return getattr(user, "is_superuser", False) or is_community_staff_of(user, community_id)


def is_planner(user, project: Project) -> bool:
    profile = profile_of(user)
    return (
        profile is not None
        and profile.partner_id is not None
        and profile.partner_id == project.planner_id
    )


def can_supervise(user, project: Project) -> bool:
    return is_manager(user, project) or is_planner(user, project)


def scope_place(obj) -> Place:
    if obj.building_id:
        return Place("building", obj.building_id)
    if obj.compound_id:
        return Place("compound", obj.compound_id)
    return Place("community", obj.community_id)


def residents_in_scope(project: Project):
    return Resident.objects.filter(place_q(scope_place(project), Resident.PLACE))


def voter(user, project: Project) -> Resident | None:
    """The resident the user speaks for, if their home lies inside the project's scope."""
    profile = profile_of(user)
    if profile is None or profile.role != UserRole.RESIDENT or profile.resident_id is None:
        return None
    if not residents_in_scope(project).filter(pk=profile.resident_id).exists():
        return None
    return profile.resident


def resident_of(user) -> Resident | None:
    profile = profile_of(user)
    if profile is None or profile.role != UserRole.RESIDENT:
        return None
    return profile.resident


def partner_of(user):
    profile = profile_of(user)
    if profile is None or profile.role != UserRole.PARTNER:
        return None
    return profile.partner

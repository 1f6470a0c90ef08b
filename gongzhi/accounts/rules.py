"""Who may run residents' accounts: the staff of the community the account belongs to."""

from gongzhi.accounts.models import SignUp, UserRole
from gongzhi.accounts.scope import registry_reach, restrict
from gongzhi.people.models import Resident
from gongzhi.places.models import Building


def staff_community(user) -> int | None:
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    if profile is None or profile.role != UserRole.COMMUNITY_STAFF:
        return None
    return profile.community_id_resolved


def signups_visible(user, qs):
    """The sign-up queue: a community's staff see their community's; superusers all."""
    if getattr(user, "is_superuser", False):
        return qs
    community = staff_community(user)
    return qs.filter(community_id=community) if community else qs.none()


def can_decide_signup(user, signup: SignUp) -> bool:
    return signups_visible(user, SignUp.objects.filter(pk=signup.pk)).exists()


def can_link_resident(user, resident: Resident) -> bool:
    """Staff link accounts only to residents of the registry they keep."""
    if staff_community(user) is None and not getattr(user, "is_superuser", False):
        return False
    return restrict(Resident.objects.filter(pk=resident.pk), registry_reach(user)).exists()


def can_print_letters(user, building: Building) -> bool:
    if staff_community(user) is None and not getattr(user, "is_superuser", False):
        return False
    return restrict(Building.objects.filter(pk=building.pk), registry_reach(user)).exists()

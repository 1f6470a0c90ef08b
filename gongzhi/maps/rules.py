"""Who may see and import maps.

The map shows figures of the registry (matters, visits), so it is for the people who run it:
officials (their subdistrict), community staff (their community) and grid workers, who see
their own grid and its buildings inside the outline of their compounds. Partners and residents
have no map. Importing geometry is community staff's job (and superusers').
"""

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import can_manage_registry, directory_reach, is_staff_like, restrict
from gongzhi.places.models import Community


def can_view_map(user) -> bool:
    return is_staff_like(user)


def can_import_map(user) -> bool:
    return can_manage_registry(user)


def grid_only(user) -> int | None:
    """The grid a grid worker is limited to (None: the whole community)."""
    if getattr(user, "is_superuser", False):
        return None
    profile = getattr(user, "profile", None)
    if profile is not None and profile.role == UserRole.GRID_WORKER:
        return profile.grid_id
    return None


def communities_visible(user, qs=None):
    """Communities whose map the user may open (none for residents and partners)."""
    qs = Community.objects.all() if qs is None else qs
    if not can_view_map(user):
        return qs.none()
    return restrict(qs, directory_reach(user))


def communities_importable(user, qs=None):
    qs = Community.objects.all() if qs is None else qs
    if not can_import_map(user):
        return qs.none()
    return restrict(qs, directory_reach(user))

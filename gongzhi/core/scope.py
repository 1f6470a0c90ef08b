"""What a user may see: one place for the whole project's visibility rules.

There are two audiences:

* the **registry** (households, residents and anything else that holds personal data):
  officials see their subdistrict, staff their community or compound, grid workers their grid,
  a resident only their own household, a partner (a volunteer) nobody's personal data;
* the **directory** (places, partners, teams, organisations — the public face of governance,
  phones always masked): everyone sees their own community, officials their subdistrict.

Superusers see everything. A user without a profile sees nothing. Apps call ``restrict`` from
their own ``rules.py``; views, API and exports all go through those rules.

This module lives in ``core`` (it imports no domain app: it reads the profile by its
attributes) so that places, people and partners, which ``accounts.models`` points at, can read
it without a cycle between the apps. ``accounts.scope`` is the same module under the name the
apps above ``accounts`` import.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from gongzhi.core.places import Place, place_contains, place_q
from gongzhi.core.roles import UserRole

# Who acts or looks: a signed-in user, or an anonymous visitor where the page allows one. Every
# rule and service names its ``actor`` (or ``user``) with this type.
Actor = User | AnonymousUser


@dataclass(frozen=True)
class Reach:
    """Where a user may look: everywhere, nowhere, or inside one place."""

    everywhere: bool = False
    place: Place | None = None

    @property
    def nowhere(self) -> bool:
        return not self.everywhere and self.place is None


EVERYWHERE = Reach(everywhere=True)
NOWHERE = Reach()


def profile_of(user: Actor | None) -> Any:
    """The user's profile, or None (anonymous, or an account without one). The one copy:
    every app's ``rules.py`` calls this."""
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "profile", None) if hasattr(user, "profile") else None


def is_community_staff_of(user: Actor | None, community_id: int | None) -> bool:
    """A community staff member of exactly this community. Superusers are not staff: rules
    that admit them say so (``user.is_superuser or is_community_staff_of(...)``)."""
    profile = profile_of(user)
    return (
        profile is not None
        and profile.role == UserRole.COMMUNITY_STAFF
        and profile.community_id_resolved == community_id
    )


def registry_reach(user: Actor | None) -> Reach:
    if getattr(user, "is_superuser", False):
        return EVERYWHERE
    profile = profile_of(user)
    if profile is None:
        return NOWHERE
    if profile.role == UserRole.RESIDENT:
        return Reach(place=Place("household", profile.resident.household_id))
    if profile.role == UserRole.PARTNER:
        return NOWHERE
    return Reach(place=profile.place)


def directory_reach(user: Actor | None) -> Reach:
    if getattr(user, "is_superuser", False):
        return EVERYWHERE
    profile = profile_of(user)
    if profile is None:
        return NOWHERE
    if profile.subdistrict_id:
        return Reach(place=Place("subdistrict", profile.subdistrict_id))
    return Reach(place=Place("community", profile.community_id_resolved))


def restrict(qs: QuerySet, reach: Reach) -> QuerySet:
    """Rows of ``qs`` (whose model declares ``PLACE``) inside the reach."""
    if reach.everywhere:
        return qs
    if reach.place is None:  # nowhere
        return qs.none()
    return qs.filter(place_q(reach.place, qs.model.PLACE))


def within(reach: Reach, obj: Any) -> bool:
    """The Python twin of ``restrict`` for one loaded record (its place chain loaded with it):
    True exactly when ``restrict`` would keep its row."""
    if reach.everywhere:
        return True
    if reach.place is None:
        return False
    return place_contains(reach.place, obj, type(obj).PLACE)


def narrow(qs: QuerySet, place: Place | None) -> QuerySet:
    """Apply a place filter the user asked for (on top of, never instead of, ``restrict``)."""
    if place is None:
        return qs
    return qs.filter(place_q(place, qs.model.PLACE))


def is_staff_like(user: Actor | None) -> bool:
    """Staff, officials and grid workers: the people who run the registry."""
    if getattr(user, "is_superuser", False):
        return True
    profile = profile_of(user)
    return profile is not None and profile.role in {
        UserRole.SUBDISTRICT_OFFICIAL,
        UserRole.COMMUNITY_STAFF,
        UserRole.GRID_WORKER,
    }


def can_manage_registry(user: Actor | None) -> bool:
    """Create, import and edit residents and partners: community staff and superusers."""
    if getattr(user, "is_superuser", False):
        return True
    profile = profile_of(user)
    return profile is not None and profile.role == UserRole.COMMUNITY_STAFF

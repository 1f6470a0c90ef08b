"""Who may read the audit trail: community staff their community's records, officials their
subdistrict's, superusers all; officials and superusers may export it. Grid workers, partners
and residents see none of it."""

from django.db.models import QuerySet

from gongzhi.core.places import Place
from gongzhi.core.roles import UserRole
from gongzhi.core.scope import EVERYWHERE, NOWHERE, Reach, profile_of, restrict


def audit_reach(user) -> Reach:
    if getattr(user, "is_superuser", False):
        return EVERYWHERE
    profile = profile_of(user)
    if profile is None:
        return NOWHERE
    if profile.role == UserRole.SUBDISTRICT_OFFICIAL:
        return Reach(place=profile.place)
    if profile.role == UserRole.COMMUNITY_STAFF:
        # Staff scoped to one compound still answer for the whole community's registry.
        return Reach(place=Place("community", profile.community_id_resolved))
    return NOWHERE


def can_see_audit(user) -> bool:
    return not audit_reach(user).nowhere


def can_export_audit(user) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    profile = profile_of(user)
    return profile is not None and profile.role == UserRole.SUBDISTRICT_OFFICIAL


def audit_visible(user, qs: QuerySet) -> QuerySet:
    return restrict(qs, audit_reach(user))

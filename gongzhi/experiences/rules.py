"""Who may see and write experiences: the library is public within the directory reach
(everyone sees their own community, officials their subdistrict); staff, officials, grid
workers and partners of the community write entries."""

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import directory_reach, restrict
from gongzhi.experiences.models import Experience


def experiences_visible(user, qs=None):
    return restrict(Experience.objects.all() if qs is None else qs, directory_reach(user))


def can_write(user, community_id: int) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    profile = getattr(user, "profile", None) if getattr(user, "is_authenticated", False) else None
    if profile is None or profile.role == UserRole.RESIDENT:
        return False
    if profile.role == UserRole.SUBDISTRICT_OFFICIAL:
        from gongzhi.places.models import Community

        return Community.objects.filter(
            pk=community_id, subdistrict=profile.subdistrict_id
        ).exists()
    if profile.role == UserRole.PARTNER:
        return profile.partner.community_id == community_id
    return profile.community_id_resolved == community_id

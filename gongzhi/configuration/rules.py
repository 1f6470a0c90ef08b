"""Who may configure a community (社区设置).

* community staff configure their own community (the one their scope lies in) and nothing else;
* subdistrict officials may look at the settings of their subdistrict's communities, and edit
  the national public holidays and bridge days (the only settings without a community);
* superusers may do everything;
* residents, partners and grid workers configure nothing and see no settings pages.
"""

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import NOWHERE, Reach, directory_reach, profile_of, restrict


def can_view(user) -> bool:
    """The settings pages and lists: staff, officials and superusers."""
    if getattr(user, "is_superuser", False):
        return True
    profile = profile_of(user)
    return profile is not None and profile.role in {
        UserRole.COMMUNITY_STAFF,
        UserRole.SUBDISTRICT_OFFICIAL,
    }


def reach(user) -> Reach:
    """Where the user may look at settings."""
    return directory_reach(user) if can_view(user) else NOWHERE


def visible(user, qs):
    """Rows of a scoped settings model (its ``PLACE``) the user may look at."""
    return restrict(qs, reach(user))


def own_community_id(user) -> int | None:
    """The community a staff member configures; None for everyone else."""
    profile = profile_of(user)
    if profile is None or profile.role != UserRole.COMMUNITY_STAFF:
        return None
    return profile.community_id_resolved


def can_configure(user, community_id: int | None) -> bool:
    """Change the settings of ``community_id``."""
    if getattr(user, "is_superuser", False):
        return True
    return community_id is not None and own_community_id(user) == community_id


def can_edit_holidays(user) -> bool:
    """Public holidays are national: officials and superusers keep the calendar."""
    if getattr(user, "is_superuser", False):
        return True
    profile = profile_of(user)
    return profile is not None and profile.role == UserRole.SUBDISTRICT_OFFICIAL


def can_ask_to_join(user) -> bool:
    profile = profile_of(user)
    return profile is not None and profile.role == UserRole.PARTNER and bool(profile.partner_id)

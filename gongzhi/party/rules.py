"""Who may see and change the party structure, 双报到 and 下沉干部 records.

The roll and the registrations hold personal data, so they follow the registry's reach
(``accounts.scope.registry_reach``): officials see their subdistrict, staff their community,
grid workers their grid; partners and residents see none of it. Staff of a community manage
its tree, roll, units and posts; cadre assignments are made by officials of the subdistrict or
staff of the community. A cadre (a partner account) sees their own assignments and checks in.
"""

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import registry_reach, restrict


def role(user) -> str | None:
    if getattr(user, "is_superuser", False):
        return "superuser"
    profile = getattr(user, "profile", None) if getattr(user, "is_authenticated", False) else None
    return profile.role if profile is not None else None


def can_view(user) -> bool:
    return role(user) in {
        "superuser",
        UserRole.SUBDISTRICT_OFFICIAL,
        UserRole.COMMUNITY_STAFF,
        UserRole.GRID_WORKER,
    }


def visible(user, qs):
    """Rows of a party model (which declares ``PLACE``) the user may see."""
    if not can_view(user):
        return qs.none()
    return restrict(qs, registry_reach(user))


def can_manage(user, community_id: int | None) -> bool:
    """Write the community's tree, roll, units and posts: its staff and superusers."""
    if role(user) == "superuser":
        return True
    return (
        role(user) == UserRole.COMMUNITY_STAFF
        and community_id is not None
        and user.profile.community_id_resolved == community_id
    )


def can_manage_subdistrict(user, subdistrict_id: int) -> bool:
    """The subdistrict's own node (街道党工委): its officials and superusers."""
    if role(user) == "superuser":
        return True
    return (
        role(user) == UserRole.SUBDISTRICT_OFFICIAL
        and user.profile.subdistrict_id == subdistrict_id
    )


def can_assign_cadres(user, compound) -> bool:
    """Officials of the subdistrict dispatch cadres; staff of the community may too."""
    return can_manage_subdistrict(user, compound.community.subdistrict_id) or can_manage(
        user, compound.community_id
    )


def cadre_partner_id(user) -> int | None:
    """The partner record behind a cadre's own account (None for anyone else)."""
    if role(user) != UserRole.PARTNER:
        return None
    return user.profile.partner_id


def resident_id(user) -> int | None:
    if role(user) != UserRole.RESIDENT:
        return None
    return user.profile.resident_id

"""Who may see and change residents (personal data: the registry reach), and who may see
sensitive tags.

Sensitive tags (``Tag.sensitive``: 残疾, 低保, 留守儿童, 重病, 困难家庭 by default) are sensitive
personal information. They are shown to the people who serve those residents: community staff,
subdistrict officials, superusers, and grid workers (who see only their own grid's residents in
the first place: the door-to-door care needs them). Partners and residents never see them — not
on pages, not in the API, not in exports, and they cannot filter by them. See docs/audit.md.
"""

from django.db.models import QuerySet

from gongzhi.core.roles import UserRole
from gongzhi.core.scope import can_manage_registry, profile_of, registry_reach, restrict

SENSITIVE_TAG_ROLES = {
    UserRole.COMMUNITY_STAFF,
    UserRole.SUBDISTRICT_OFFICIAL,
    UserRole.GRID_WORKER,
}


def residents_visible(user, qs):
    return restrict(qs, registry_reach(user))


def can_import_residents(user) -> bool:
    return can_manage_registry(user)


def can_see_full_numbers(user) -> bool:
    """Show a resident's full ID number and phone (recorded on the audit trail): the people
    who manage the registry, as for the personal export."""
    return can_manage_registry(user)


def may_see_sensitive_tags(user) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    profile = profile_of(user)
    return profile is not None and profile.role in SENSITIVE_TAG_ROLES


def tags_visible(user, qs: QuerySet) -> QuerySet:
    """The tags (``people.Tag``) ``user`` may see on a resident."""
    return qs if may_see_sensitive_tags(user) else qs.filter(sensitive=False)

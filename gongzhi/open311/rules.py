"""Who manages Open311 keys and community areas: a community's staff for their own community,
superusers for any. Everyone else (officials included: a key lets a client file matters into a
community, which is the community's decision) manages nothing.

The Open311 endpoints themselves are public for reading; writing needs a key.
"""

from gongzhi.configuration.rules import own_community_id


def can_manage(user) -> bool:
    """May open the keys page and API at all."""
    return bool(getattr(user, "is_superuser", False)) or own_community_id(user) is not None


def can_manage_community(user, community_id: int) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return own_community_id(user) == community_id


def keys_visible(user, qs):
    """The keys (or rows with a ``community`` column) the user manages."""
    if getattr(user, "is_superuser", False):
        return qs
    community_id = own_community_id(user)
    if community_id is None:
        return qs.none()
    return qs.filter(community_id=community_id)

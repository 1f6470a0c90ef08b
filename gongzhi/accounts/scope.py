"""What a user may see: the project's visibility rules, under the name the apps above
``accounts`` import. The rules themselves are in ``gongzhi.core.scope``, below places, people
and partners (which read them, while ``accounts.models`` points at them); this module is that
one copy, not another."""

from gongzhi.core.scope import (
    EVERYWHERE,
    NOWHERE,
    Actor,
    Reach,
    can_manage_registry,
    directory_reach,
    is_community_staff_of,
    is_staff_like,
    narrow,
    profile_of,
    registry_reach,
    restrict,
)

__all__ = [
    "EVERYWHERE",
    "NOWHERE",
    "Actor",
    "Reach",
    "can_manage_registry",
    "directory_reach",
    "is_community_staff_of",
    "is_staff_like",
    "narrow",
    "profile_of",
    "registry_reach",
    "restrict",
]

"""Who may see and change residents (personal data: the registry reach)."""

from gongzhi.accounts.scope import can_manage_registry, registry_reach, restrict


def residents_visible(user, qs):
    return restrict(qs, registry_reach(user))


def can_import_residents(user) -> bool:
    return can_manage_registry(user)

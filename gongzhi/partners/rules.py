"""Who may see and change partners, teams and organisations (the directory reach)."""

from gongzhi.core.scope import can_manage_registry, directory_reach, restrict


def partners_visible(user, qs):
    return restrict(qs, directory_reach(user))


def teams_visible(user, qs):
    return restrict(qs, directory_reach(user))


def organisations_visible(user, qs):
    return restrict(qs, directory_reach(user))


def can_import_partners(user) -> bool:
    return can_manage_registry(user)

"""Who may see which places. Places carry no personal data: they follow the directory reach,
except households, which belong to the registry (a household is a family's address)."""

from gongzhi.core.scope import directory_reach, registry_reach, restrict


def places_visible(user, qs):
    return restrict(qs, directory_reach(user))


def households_visible(user, qs):
    return restrict(qs, registry_reach(user))

"""Who may see the collaboration network: staff, officials and grid workers, each within
their directory reach (the network shows actors, never residents' personal data)."""

from gongzhi.accounts.scope import NOWHERE, Reach, directory_reach, is_staff_like


def can_view_network(user) -> bool:
    return is_staff_like(user)


def network_reach(user) -> Reach:
    return directory_reach(user) if can_view_network(user) else NOWHERE

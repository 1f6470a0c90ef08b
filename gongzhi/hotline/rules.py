"""Who may see and answer hotline orders, and who manages gateway credentials.

An order is seen by whoever may see its matter and is a staff member or official (the hotline
pages are desk work); it is answered to the hotline by those who manage the matter — the staff
of its place (``matters.rules.can_manage``). Gateway credentials belong to a community: its
staff and superusers create and revoke them.
"""

from gongzhi.accounts.models import UserRole
from gongzhi.matters import rules as matter_rules
from gongzhi.matters.models import Matter


def can_view_orders(user) -> bool:
    return matter_rules.is_staff(user)


def orders_visible(user, qs):
    if not can_view_orders(user):
        return qs.none()
    if getattr(user, "is_superuser", False):
        return qs
    return qs.filter(matter__in=matter_rules.matters_visible(user, Matter.objects.all()))


def can_answer(user, order) -> bool:
    return matter_rules.can_manage(user, order.matter)


def credential_community_id(user) -> int | None:
    """The community whose credentials a staff member manages (None: not staff of one)."""
    if matter_rules.role(user) != UserRole.COMMUNITY_STAFF:
        return None
    return user.profile.community_id_resolved


def can_manage_credentials(user, community_id: int) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return credential_community_id(user) == community_id

"""Who may see and act on points and the shop.

* A person sees their own account (a resident's, or a partner's: a partner linked to a
  resident shares that resident's account). Staff, officials and grid workers see the
  accounts of their registry reach (points are personal data, like the registry); a partner
  sees only their own.
* The shop of a community is visible to everyone whose directory reach covers it.
* Community staff of the community (and superusers) run the shop: items, pickup, cancel.
* A person orders for themselves (staff may order on a person's behalf at the desk); a
  person may cancel their own order while it awaits pickup.
"""

from django.db.models import Q, QuerySet

from gongzhi.accounts.scope import (
    directory_reach,
    is_community_staff_of,
    profile_of,
    registry_reach,
    restrict,
)
from gongzhi.points.models import Account


def own_q(user, prefix: str = "") -> Q:
    """Accounts (or rows reached through ``prefix``) held by the user as a person."""
    profile = profile_of(user)
    if profile is None:
        return Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    q = Q(**{f"{prefix}pk__in": []})
    if profile.resident_id:
        q |= Q(**{f"{prefix}resident_id": profile.resident_id})
    if profile.partner_id:
        q |= Q(**{f"{prefix}partner_id": profile.partner_id})
        resident_id = profile.partner.resident_id
        if resident_id:
            q |= Q(**{f"{prefix}resident_id": resident_id})
    return q


def is_holder(user, account: Account) -> bool:
    return Account.objects.filter(own_q(user), pk=account.pk).exists()


def visible(user, qs: QuerySet, prefix: str = "") -> QuerySet:
    """Rows of ``qs`` (accounts, postings or redemptions; ``prefix`` leads to the account)
    the user may see: their registry reach, plus their own."""
    reach = registry_reach(user)
    if reach.everywhere:
        return qs
    mine = own_q(user, prefix)
    if reach.nowhere:
        return qs.filter(mine)
    return restrict(qs, reach) | qs.filter(mine)


def items_visible(user, qs: QuerySet) -> QuerySet:
    return restrict(qs, directory_reach(user))


def can_run_shop(user, community_id: int) -> bool:
    return getattr(user, "is_superuser", False) or is_community_staff_of(user, community_id)


def can_order(user, account: Account) -> bool:
    return can_run_shop(user, account.community_id) or is_holder(user, account)


def can_cancel(user, account: Account) -> bool:
    return can_order(user, account)


def shop_community_id(user) -> int | None:
    """The community whose shop the user uses by default."""
    profile = profile_of(user)
    return profile.community_id_resolved if profile is not None else None

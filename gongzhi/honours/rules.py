"""Who may see and do what with honours.

* Elections, published honour rolls and results are public inside the community: everyone
  whose directory reach covers the community sees them. Drafts of rolls, unpublished
  results and the talent pool are for staff, officials and grid workers of the reach.
* Community staff of the community (and superusers) run elections, build and publish rolls,
  verify residents and keep the talent pool.
* A resident votes with their own account (role resident), in their own community, once
  staff have verified them.
"""

from django.db.models import QuerySet

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import (
    directory_reach,
    is_community_staff_of,
    is_staff_like,
    profile_of,
    registry_reach,
    restrict,
)
from gongzhi.honours.models import ElectionStatus, RollStatus

RESULTS_FOR_STAFF = (ElectionStatus.ASSESSMENT, ElectionStatus.PUBLICITY, ElectionStatus.PUBLISHED)


def community_of(user) -> int | None:
    profile = profile_of(user)
    return profile.community_id_resolved if profile is not None else None


def can_manage(user, community_id: int) -> bool:
    return getattr(user, "is_superuser", False) or is_community_staff_of(user, community_id)


def voter_of(user):
    """The resident a user votes as, or None (only accounts with the resident role vote)."""
    profile = profile_of(user)
    if profile is None or profile.role != UserRole.RESIDENT:
        return None
    return profile.resident


def elections_visible(user, qs: QuerySet) -> QuerySet:
    return restrict(qs, directory_reach(user))


def can_see_results(user, election) -> bool:
    if election.status == ElectionStatus.PUBLISHED:
        return True
    return election.status in RESULTS_FOR_STAFF and is_staff_like(user)


def can_nominate(user, election) -> bool:
    """Staff of the community, or a resident of it (anyone may put a neighbour forward)."""
    if can_manage(user, election.community_id):
        return True
    resident = voter_of(user)
    return resident is not None and community_of(user) == election.community_id


def rolls_visible(user, qs: QuerySet) -> QuerySet:
    qs = restrict(qs, directory_reach(user))
    return qs if is_staff_like(user) else qs.filter(status=RollStatus.PUBLISHED)


def talent_visible(user, qs: QuerySet) -> QuerySet:
    if not is_staff_like(user):
        return qs.none()
    return restrict(qs, directory_reach(user))


def verifications_visible(user, qs: QuerySet) -> QuerySet:
    """Verification rows are personal data: registry reach."""
    return restrict(qs, registry_reach(user))

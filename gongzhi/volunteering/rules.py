"""Who may see and do what with volunteer service.

* Activities are part of the public face of governance: everyone whose directory reach covers
  the community sees them.
* "谁组织谁记录": a record is written and confirmed by the organising side — the user who
  organises the activity, or community staff of its community (and superusers). A participant
  may claim their own hours, which the organiser then confirms.
* Points claims are reviewed by community staff of the community; anyone who sees the
  activity may object to a claim during its publicity.
* Service records are personal: a person sees their own, the organiser the records of their
  activity, staff and grid workers those of activities in their registry reach.
"""

from django.db.models import Q, QuerySet

from gongzhi.accounts.scope import (
    directory_reach,
    is_community_staff_of,
    profile_of,
    registry_reach,
    restrict,
)
from gongzhi.partners.models import Partner


def is_organising_staff(user, community_id: int) -> bool:
    """Community staff of the community, or a superuser: the organising side of every
    activity there (``accounts.scope.is_community_staff_of`` does not admit superusers)."""
    return getattr(user, "is_superuser", False) or is_community_staff_of(user, community_id)


def person_of(user):
    """The person (resident, or partner without a resident record) a user is, or None."""
    profile = profile_of(user)
    if profile is None:
        return None
    if profile.resident_id:
        return profile.resident
    if profile.partner_id:
        partner = profile.partner
        return partner.resident if partner.resident_id else partner
    return None


def own_q(user, prefix: str = "") -> Q:
    """Rows (records, awards; ``prefix`` leads to them) that belong to the user as a person."""
    person = person_of(user)
    if person is None:
        return Q(pk__in=[])
    if isinstance(person, Partner):
        return Q(**{f"{prefix}partner_id": person.pk, f"{prefix}resident__isnull": True})
    return Q(**{f"{prefix}resident_id": person.pk})


def is_organiser(user, activity) -> bool:
    """The organising side of an activity ("谁组织谁记录")."""
    return bool(
        getattr(user, "pk", None)
        and (
            activity.organised_by_id == user.pk or is_organising_staff(user, activity.community_id)
        )
    )


def can_create_activity(user, *, community_id: int, team=None) -> bool:
    """Staff of the community, or the leader of the organising team."""
    if is_organising_staff(user, community_id):
        return True
    profile = profile_of(user)
    return bool(
        team is not None
        and profile is not None
        and profile.partner_id
        and team.leader_id == profile.partner_id
        and team.community_id == community_id
    )


def can_claim_for(user, person) -> bool:
    own = person_of(user)
    return own is not None and type(own) is type(person) and own.pk == person.pk


def can_review(user, community_id: int) -> bool:
    return is_organising_staff(user, community_id)


def activities_visible(user, qs: QuerySet) -> QuerySet:
    return restrict(qs, directory_reach(user))


def records_visible(user, qs: QuerySet, prefix: str = "") -> QuerySet:
    """Records (or claims, with ``prefix="record__"``) the user may see."""
    reach = registry_reach(user)
    if reach.everywhere:
        return qs
    mine = own_q(user, prefix) | Q(
        **{f"{prefix}activity__organised_by_id": getattr(user, "pk", None)}
    )
    if reach.nowhere:
        return qs.filter(mine)
    return restrict(qs, reach) | qs.filter(mine)

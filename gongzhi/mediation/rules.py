"""Who may see and act on mediation cases. Mediation is confidential.

**Details** — the description, the parties, session notes, follow-up notes and the agreement
text — are visible only to:

* the case's mediators (the user accounts whose ``Profile.partner`` is a mediator of the case);
* community staff of the case's community who are explicitly authorised for the case (the
  case's ``authorised_staff`` list; whoever opens a case is authorised automatically);
* superusers.

**Summary** — everyone else in reach (other community staff, subdistrict officials, grid
workers of the case's buildings; ``registry_reach``) sees only that a case exists: its number,
kind, status, opened date and place. Never party names, never the text.

**Party** — a resident who is a party of a case sees that case's status and, once reached,
the agreement text (it is theirs), but not the description, the other parties or notes.

Partners who are not mediators of a case, and residents who are not parties, do not see it at
all. ``access(user, case)`` decides the level; ``selectors.case_for`` is the one
fetch-and-authorise helper that pages, the API and the export use.

Acting: opening a case — community staff of the place and superusers; assigning mediators and
authorising staff — the case's authorised staff and superusers; sessions, outcome and
follow-up visits — anyone with details (mediators, authorised staff, superusers).
"""

from django.db.models import Q

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import is_community_staff_of, profile_of, registry_reach
from gongzhi.core.places import place_q
from gongzhi.core.scope import Actor
from gongzhi.mediation.models import MediationCase

FULL = "full"
PARTY = "party"
SUMMARY = "summary"


def visible_q(user: Actor) -> Q | None:
    """Cases whose existence the user may see (None means every case)."""
    if getattr(user, "is_superuser", False):
        return None
    profile = profile_of(user)
    if profile is None:
        return Q(pk__in=[])
    if profile.role == UserRole.RESIDENT:
        return Q(parties__resident_id=profile.resident_id)
    mine = Q(authorised_staff=user)
    if profile.partner_id:
        mine |= Q(mediators=profile.partner_id)
    if profile.role == UserRole.PARTNER:
        return mine
    place = registry_reach(user).place  # staff and officials: the place of their profile
    assert place is not None
    return place_q(place, MediationCase.PLACE) | mine


def cases_visible(user: Actor, qs):
    q = visible_q(user)
    if q is None:
        return qs
    # Joins through parties/mediators/staff can repeat a case: filter by id.
    return qs.filter(pk__in=MediationCase.objects.filter(q).values("pk"))


def full_q(user: Actor) -> Q | None:
    """Cases whose details the user may see (None means every case)."""
    if getattr(user, "is_superuser", False):
        return None
    profile = profile_of(user)
    if profile is None:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    if profile.partner_id:
        q |= Q(mediators=profile.partner_id)
    if profile.role == UserRole.COMMUNITY_STAFF:
        q |= Q(authorised_staff=user, community_id=profile.community_id_resolved)
    return q


def full_ids(user: Actor, case_ids) -> set[int] | None:
    """Of ``case_ids``, those whose details the user may see (None: all of them)."""
    q = full_q(user)
    if q is None:
        return None
    return set(MediationCase.objects.filter(q, pk__in=list(case_ids)).values_list("pk", flat=True))


def is_party(user: Actor, case: MediationCase) -> bool:
    profile = profile_of(user)
    if profile is None or profile.role != UserRole.RESIDENT or profile.resident_id is None:
        return False
    return case.parties.filter(resident_id=profile.resident_id).exists()


def access(user: Actor, case: MediationCase) -> str | None:
    """FULL, PARTY, SUMMARY, or None when the user may not even know the case exists."""
    ids = full_ids(user, [case.pk])
    if ids is None or case.pk in ids:
        return FULL
    if is_party(user, case):
        return PARTY
    q = visible_q(user)
    if q is not None and MediationCase.objects.filter(q, pk=case.pk).exists():
        return SUMMARY
    return None


def can_open(user: Actor, community_id: int) -> bool:
    return getattr(user, "is_superuser", False) or is_community_staff_of(user, community_id)


def can_manage(user: Actor, case: MediationCase) -> bool:
    """Assign mediators and authorise staff: the case's authorised staff, superusers."""
    if getattr(user, "is_superuser", False):
        return True
    return (
        is_community_staff_of(user, case.community_id)
        and case.authorised_staff.filter(pk=profile_of(user).user_id).exists()
    )


def can_mediate(user: Actor, case: MediationCase) -> bool:
    """Record sessions, the outcome and follow-up visits: whoever sees the details."""
    return access(user, case) == FULL

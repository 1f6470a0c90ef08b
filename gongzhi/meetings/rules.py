"""Who may see and run deliberation meetings.

Seeing: meetings, agendas and decisions are the public face of governance, so everyone sees
those of their directory reach (their community; officials their subdistrict). The 公示 page
shows residents the decisions of closed meetings.

Running (series, meetings, invitations, attendance, votes, decisions, action items, closing):
community staff and subdistrict officials whose registry reach holds the meeting's scope.
Proposing an item and replying to an invitation: anyone who sees the meeting (a reply only for
one's own invitation). A participant may cast their own vote; staff may record anyone's vote
(a show of hands in the room).
"""

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import directory_reach, profile_of, registry_reach, restrict

MANAGER_ROLES = {UserRole.COMMUNITY_STAFF, UserRole.SUBDISTRICT_OFFICIAL}


def visible(user, qs):
    """Rows of a scoped model (venue, series, meeting, agenda item) the user may see."""
    return restrict(qs, directory_reach(user))


def is_manager(user) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    profile = profile_of(user)
    return profile is not None and profile.role in MANAGER_ROLES


def can_manage(user, obj) -> bool:
    """Run ``obj`` (a venue, series or meeting, or any row with ``PLACE``)."""
    if not is_manager(user):
        return False
    qs = type(obj).objects.filter(pk=obj.pk)
    return restrict(qs, registry_reach(user)).exists()


def can_manage_scope(user, place) -> bool:
    """Create a series, meeting or venue at ``place`` (a community, compound or building)."""
    if not is_manager(user) or place is None:
        return False
    return restrict(type(place).objects.filter(pk=place.pk), registry_reach(user)).exists()


def can_see(user, obj) -> bool:
    return visible(user, type(obj).objects.filter(pk=obj.pk)).exists()


def can_propose(user, meeting) -> bool:
    return (is_manager(user) or profile_of(user) is not None) and can_see(user, meeting)


def is_participant_self(user, participant) -> bool:
    """``participant`` is the user: their partner, their resident record, or their account."""
    profile = profile_of(user)
    if participant.user_id is not None and participant.user_id == getattr(user, "pk", None):
        return True
    if profile is None:
        return False
    return (
        participant.partner_id is not None and participant.partner_id == profile.partner_id
    ) or (participant.resident_id is not None and participant.resident_id == profile.resident_id)

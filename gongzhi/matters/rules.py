"""Who may see and act on matters.

Seeing: staff and officials see the matters of their reach (community / subdistrict), grid
workers the matters of their grid's buildings, partners the matters they (or their teams) own,
residents the matters they reported (including merged duplicates they joined). Anyone who is an
active owner of a matter in person (a user owner) also sees it, and grid workers, staff and
partners see the matters they entered themselves (``submit_area_refusal`` keeps those inside
their area).

Acting: see the table in docs/matters.md. Residents never act on someone else's matter.
"""

from dataclasses import dataclass

from django.db.models import Q

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import profile_of, registry_reach
from gongzhi.core.places import place_q
from gongzhi.core.scope import Actor
from gongzhi.matters.models import SOURCES, Channel, Matter, MatterOwner, Priority, Tier

#: The channels a resident reports through themselves.
RESIDENT_CHANNELS = (Channel.ONLINE_WEB, Channel.ONLINE_WECHAT, Channel.ONLINE_PHONE)


def role(user: Actor) -> str | None:
    if getattr(user, "is_superuser", False):
        return "superuser"
    profile = profile_of(user)
    return profile.role if profile else None


def visible_q(user: Actor) -> Q | None:
    """A Q selecting the matters the user may see; None means every matter."""
    if getattr(user, "is_superuser", False):
        return None
    profile = profile_of(user)
    if profile is None:
        return Q(pk__in=[])
    if profile.role == UserRole.RESIDENT:
        return Q(reporters__resident_id=profile.resident_id)
    # Whoever entered a matter may follow it (``submit_area_refusal`` keeps that inside their
    # area); a partner or a grid worker would otherwise not see a public-area report of theirs.
    entered = Q(entered_by_id=user.pk)
    if profile.role == UserRole.PARTNER:
        return (
            Q(owners__partner_id=profile.partner_id, owners__active=True)
            | Q(owners__team__memberships__partner_id=profile.partner_id, owners__active=True)
            | entered
        )
    # Staff, grid workers and officials: their reach is the place of their profile.
    place = registry_reach(user).place
    assert place is not None
    if profile.role in (UserRole.GRID_WORKER, UserRole.COMMUNITY_STAFF):
        # A subquery, not a join: a join through owners would repeat a matter per owner.
        owned = MatterOwner.objects.filter(user_id=profile.user_id, active=True).values("matter_id")
        return place_q(place, Matter.PLACE) | Q(pk__in=owned) | entered
    return place_q(place, Matter.PLACE)


def matters_visible(user: Actor, qs):
    q = visible_q(user)
    if q is None:
        return qs
    profile = profile_of(user)
    if profile is not None and profile.role in (
        UserRole.RESIDENT,
        UserRole.PARTNER,
    ):
        # Joins through reporters/owners can repeat a matter: filter by id instead.
        return qs.filter(pk__in=Matter.objects.filter(q).values("pk"))
    return qs.filter(q)


def is_staff(user: Actor) -> bool:
    return role(user) in {"superuser", UserRole.COMMUNITY_STAFF, UserRole.SUBDISTRICT_OFFICIAL}


def in_reach(user: Actor, matter: Matter) -> bool:
    q = visible_q(user)
    return q is None or Matter.objects.filter(q, pk=matter.pk).exists()


def is_owner(user: Actor, matter: Matter) -> bool:
    """An active owner: the user in person, or their partner record or one of its teams."""
    profile = profile_of(user)
    if profile is None:
        return False
    mine = Q(user_id=user.pk)
    if profile.partner_id is not None:
        mine |= Q(partner_id=profile.partner_id) | Q(
            team__memberships__partner_id=profile.partner_id
        )
    return matter.owners.filter(mine, active=True).exists()


def is_reporter(user: Actor, matter: Matter) -> bool:
    profile = profile_of(user)
    if profile is None or profile.resident_id is None:
        return False
    return matter.reporters.filter(resident_id=profile.resident_id).exists()


def can_submit(user: Actor) -> bool:
    return role(user) is not None


def submit_area_refusal(user: Actor, place: dict) -> str | None:
    """Why the user may not submit a matter at ``place`` (``resolve_place``'s columns), or
    None. Checked before anything is written, after the community check.

    A grid worker reports at the buildings and households of their grid and at the public areas
    around it (a compound with a building of the grid, or the grid's community); a partner at
    the place they are anchored at (their building, compound or community). Everyone else is
    bounded by their community or subdistrict alone (``services._check_place_for``).
    """
    profile = profile_of(user)
    who = role(user)
    if who == UserRole.GRID_WORKER:
        building = place["building"]
        if building is not None:
            return None if building.grid_id == profile.grid_id else "grid"
        compound = place["compound"]
        if compound is not None and not compound.buildings.filter(grid_id=profile.grid_id).exists():
            return "grid"
        return None
    if who == UserRole.PARTNER:
        partner = profile.partner
        if partner is None:
            return "partner"
        if partner.building_id is not None:
            return (
                None if getattr(place["building"], "pk", None) == partner.building_id else "partner"
            )
        if partner.compound_id is not None:
            return (
                None if getattr(place["compound"], "pk", None) == partner.compound_id else "partner"
            )
        return None if place["community"].pk == partner.community_id else "partner"
    return None


def fields_not_allowed(user: Actor, *, channel: str, category, tier, priority: str) -> list[str]:
    """The submit fields this user may not set, in the model's order (empty when all are fine).

    Residents report for themselves: through an online channel, at normal priority, with the
    category and tier left to the classifier and staff. Partners set channel and priority, not
    the classification. Grid workers, staff, officials and submissions without an account (the
    hotline, Open311, scan-to-report) set all four.
    """
    who = role(user)
    refused = []
    if who == UserRole.RESIDENT:
        if channel not in RESIDENT_CHANNELS:
            refused.append("channel")
        if priority != Priority.NORMAL:
            refused.append("priority")
    if who in (UserRole.RESIDENT, UserRole.PARTNER):
        refused += [name for name, value in (("category", category), ("tier", tier)) if value]
    return refused


def can_acknowledge(user: Actor, matter: Matter) -> bool:
    if is_staff(user) or is_owner(user, matter):
        return in_reach(user, matter)
    return role(user) == UserRole.GRID_WORKER and in_reach(user, matter)


def can_handle_on_spot(user: Actor) -> bool:
    """Record a small matter as already handled (当场办结): grid workers and community staff,
    who then own it (``services.user_serves_community``)."""
    return role(user) in (UserRole.GRID_WORKER, UserRole.COMMUNITY_STAFF)


def can_manage(user: Actor, matter: Matter) -> bool:
    """Classify, assign, route to deliberation, merge, refer, reject: staff of the place."""
    return is_staff(user) and in_reach(user, matter)


def is_grid_worker_of(user: Actor, matter: Matter) -> bool:
    """The grid worker of the matter's building (a grid worker's reach is their grid)."""
    return role(user) == UserRole.GRID_WORKER and in_reach(user, matter)


def can_handle(user: Actor, matter: Matter) -> bool:
    """Start and complete the work: staff of the place, an active owner, or — for a small
    matter — the grid worker of its building, who handles small matters in their grid."""
    if can_manage(user, matter) or is_owner(user, matter):
        return True
    return matter.tier == Tier.SMALL and is_grid_worker_of(user, matter)


def can_give_feedback(user: Actor, matter: Matter) -> bool:
    return is_reporter(user, matter)


def can_withdraw(user: Actor, matter: Matter) -> bool:
    return is_reporter(user, matter) or can_manage(user, matter)


@dataclass(frozen=True)
class Allowed:
    """Which actions the user may take on the matter now (permission and state together)."""

    acknowledge: bool = False
    classify: bool = False
    assign: bool = False
    deliberate: bool = False
    start: bool = False
    complete: bool = False
    handle: bool = False
    merge: bool = False
    refer: bool = False
    reject: bool = False
    withdraw: bool = False
    close_unrated: bool = False
    feedback: bool = False
    photo: bool = False

    @property
    def any_staff_action(self) -> bool:
        return any(
            getattr(self, name)
            for name in (
                "acknowledge",
                "classify",
                "assign",
                "deliberate",
                "start",
                "complete",
                "handle",
            )
        ) or any((self.merge, self.refer, self.reject, self.close_unrated))


def allowed_actions(user: Actor, matter: Matter) -> Allowed:
    """The actions to offer: permission and the state machine's source states (``SOURCES``).

    The services check both again when the action is posted."""
    status = matter.status
    manage = can_manage(user, matter)
    handle = can_handle(user, matter)
    reporter = is_reporter(user, matter)
    return Allowed(
        acknowledge=status in SOURCES["acknowledge"] and can_acknowledge(user, matter),
        classify=manage and matter.is_open,
        assign=manage and status in SOURCES["assign"],
        deliberate=manage and status in SOURCES["deliberate"] and matter.tier != Tier.SMALL,
        start=handle and status in SOURCES["start"],
        complete=handle and status in SOURCES["complete"],
        handle=handle and status in SOURCES["handle"] and matter.tier == Tier.SMALL,
        merge=manage and status in SOURCES["merge"],
        refer=manage and status in SOURCES["refer"],
        reject=manage and status in SOURCES["reject"],
        withdraw=(reporter or manage) and status in SOURCES["withdraw"],
        close_unrated=manage and status in SOURCES["close_unrated"],
        feedback=reporter and status in SOURCES["feedback"],
        photo=matter.is_open
        and (reporter or handle or matter.entered_by_id == getattr(user, "pk", None)),
    )

"""Who may see and record which visits and care subjects.

* **Visits.** Staff and officials see the visits in their registry reach, grid workers those
  in their grid; a partner (building leader) only the visits they made themselves; residents
  none. A visit may be recorded at a household, building or public spot in the visitor's
  *visiting reach*: the registry reach for staff, officials and grid workers (for a grid
  worker: the households and buildings of their grid, the spots of the compounds it covers),
  the partner's own building (and its households) for a partner, who visits no public spots.
* **Care subjects.** Staff and officials see the register in their reach, grid workers their
  grid's; a partner only the people they are assigned to visit; residents nothing.
* **Care reasons** (独居, 残疾, 低保 … are sensitive personal data) are shown only to staff,
  officials and the subject's assigned visitors: a grid worker sees who in the grid is on the
  register and when a visit is due, but the reason only for the people assigned to them. Lists
  and the API blank the reason for everyone else; the coverage export carries no reasons.
  Every read of the register (page or API list) is on the audit trail with how many reasons
  it showed (``audit`` action view, subject ``care_subjects``).
* Only community staff (and superusers) edit the register; staff and officials export.
"""

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import can_manage_registry, registry_reach, restrict
from gongzhi.core.places import Place, place_q
from gongzhi.core.scope import Actor, profile_of
from gongzhi.maps.models import Spot
from gongzhi.matters.rules import role
from gongzhi.places.models import Building, Household
from gongzhi.visits.models import Visit

STAFF_ROLES = ("superuser", UserRole.COMMUNITY_STAFF, UserRole.SUBDISTRICT_OFFICIAL)
VISITOR_ROLES = (
    "superuser",
    UserRole.COMMUNITY_STAFF,
    UserRole.SUBDISTRICT_OFFICIAL,
    UserRole.GRID_WORKER,
    UserRole.PARTNER,
)


def is_staff(user: Actor) -> bool:
    return role(user) in STAFF_ROLES


def can_visit(user: Actor) -> bool:
    return role(user) in VISITOR_ROLES


def can_manage_care(user: Actor) -> bool:
    return can_manage_registry(user)


def can_export(user: Actor) -> bool:
    return is_staff(user)


def can_see_coverage(user: Actor) -> bool:
    """Coverage is about households: the registry's people (not partners, not residents)."""
    return role(user) in (*STAFF_ROLES, UserRole.GRID_WORKER)


def visit_households(user: Actor, qs: QuerySet | None = None) -> QuerySet:
    """Households the user may record a visit at."""
    qs = Household.objects.all() if qs is None else qs
    who = role(user)
    if who == UserRole.PARTNER:
        building_id = profile_of(user).partner.building_id
        return qs.filter(unit__building_id=building_id) if building_id else qs.none()
    if who in VISITOR_ROLES:
        return restrict(qs, registry_reach(user))
    return qs.none()


def visit_buildings(user: Actor, qs: QuerySet | None = None) -> QuerySet:
    """Buildings the user may record a visit at (a corridor, a stairwell, a bike shed)."""
    qs = Building.objects.all() if qs is None else qs
    who = role(user)
    if who == UserRole.PARTNER:
        building_id = profile_of(user).partner.building_id
        return qs.filter(pk=building_id) if building_id else qs.none()
    if who in VISITOR_ROLES:
        return restrict(qs, registry_reach(user))
    return qs.none()


def _grid_spots_q(grid_id: int, prefix: str = "") -> Q:
    # A spot has no grid: a grid covers the spots of the compounds its buildings stand in.
    compounds = Building.objects.filter(grid_id=grid_id).values("compound_id")
    return Q(**{f"{prefix}compound_id__in": compounds})


def visit_spots(user: Actor, qs: QuerySet | None = None) -> QuerySet:
    """Public spots the user may record a visit at; partners visit only their own building."""
    qs = Spot.objects.all() if qs is None else qs
    if role(user) not in VISITOR_ROLES or role(user) == UserRole.PARTNER:
        return qs.none()
    reach = registry_reach(user)
    if reach.place is not None and reach.place.level == "grid":  # a grid worker
        return qs.filter(_grid_spots_q(reach.place.id))
    return restrict(qs, reach)


def visit_place_q(place: Place) -> Q:
    """Visits inside ``place``, whatever they were at: a household, a building, a spot."""
    if place.level == "grid":
        spots = _grid_spots_q(place.id, "spot__")
    else:
        spots = place_q(place, Visit.SPOT_PLACE)
    return place_q(place, Visit.PLACE) | place_q(place, Visit.BUILDING_PLACE) | spots


def visits_visible(user: Actor, qs: QuerySet) -> QuerySet:
    who = role(user)
    if who == UserRole.PARTNER:
        return qs.filter(visitor=user)
    if who in VISITOR_ROLES:
        reach = registry_reach(user)
        if reach.place is None:  # everywhere or nowhere
            return restrict(qs, reach)
        return qs.filter(visit_place_q(reach.place))
    return qs.none()


def care_visible(user: Actor, qs: QuerySet) -> QuerySet:
    who = role(user)
    if who == UserRole.PARTNER:
        return qs.filter(_assigned(qs, user))
    if who in VISITOR_ROLES:
        return restrict(qs, registry_reach(user))
    return qs.none()


def with_reason_visible(user: Actor, qs: QuerySet) -> QuerySet:
    """Annotate ``reason_visible``: may this user read the subject's reason?"""
    if is_staff(user):
        return qs.annotate(reason_visible=Value(True, output_field=BooleanField()))
    return qs.annotate(reason_visible=_assigned(qs, user))


def may_see_reason(user: Actor, subject) -> bool:
    if is_staff(user):
        return True
    return subject.visitors.filter(pk=user.pk).exists()


def _assigned(qs: QuerySet, user: Actor) -> Exists:
    # Exists, not a join: a subject with several visitors must stay one row.
    return Exists(qs.model.visitors.through.objects.filter(caresubject=OuterRef("pk"), user=user))

"""Every write to the party structure, 双报到 and 下沉干部 (docs/party.md).

Each function checks the actor's right (``rules``), validates its input and raises
``PartyError`` (a stable code and a translated message) before anything is written, so a
refused write changes nothing. The constraints the database also enforces (one current branch
per member, the anchor of a tree node) are caught as IntegrityError and reported the same way.
"""

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.scope import Actor
from gongzhi.core.services import ServiceError, acting_user, now_or
from gongzhi.core.text import clean_text
from gongzhi.matters.models import Matter
from gongzhi.matters.services import MatterError, matter_assign
from gongzhi.partners.models import Organisation, Partner
from gongzhi.party import rules
from gongzhi.party.models import (
    PARENT_LEVEL,
    CadreAssignment,
    CadreTask,
    CentreHousehold,
    CheckIn,
    Claim,
    InServiceMember,
    OrgLevel,
    PartyMember,
    PartyOrg,
    Post,
    ReportingUnit,
)
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound, Household, Subdistrict
from gongzhi.projects.models import Wish
from gongzhi.projects.services import ProjectError, wish_claim

MAX_NAME = 80


class PartyError(ServiceError):
    """A refused write (``core.services.ServiceError``): 403 ``forbidden``, 400 the rest."""


def _forbidden() -> PartyError:
    return PartyError("forbidden", _("You may not do this."))


def _person_community_id(person: Resident | Partner) -> int:
    if isinstance(person, Partner):
        return person.community_id
    return person.household.unit.building.compound.community_id


def _person_fields(person) -> dict:
    """One person per row: a partner linked to a resident is stored as that resident."""
    if isinstance(person, Partner):
        return {"resident_id": person.resident_id, "partner": person}
    if isinstance(person, Resident):
        return {"resident": person, "partner": None}
    raise PartyError("invalid_person", _("Choose a resident or a partner."))


# ---- the organisation tree ------------------------------------------------------------------


def _anchor_for(level: str, place: Subdistrict | Community | Compound | Building) -> dict:
    """The anchor columns of a node of ``level`` at ``place``, or an error if the place is of
    another level (a 小区党支部 anchored to a building, say)."""
    expected = {
        OrgLevel.SUBDISTRICT: Subdistrict,
        OrgLevel.COMMUNITY: Community,
        OrgLevel.COMPOUND: Compound,
        OrgLevel.BUILDING: Building,
    }[OrgLevel(level)]
    if not isinstance(place, expected):
        raise PartyError(
            "wrong_anchor",
            _("A %(level)s is anchored to a %(place)s.")
            % {"level": OrgLevel(level).label, "place": expected._meta.verbose_name},
        )
    # The place is of the level's kind: its type says which columns are filled.
    if isinstance(place, Subdistrict):
        return {"subdistrict": place}
    if isinstance(place, Community):
        return {"subdistrict_id": place.subdistrict_id, "community": place}
    if isinstance(place, Compound):
        community = place.community
        return {
            "subdistrict_id": community.subdistrict_id,
            "community": community,
            "compound": place,
        }
    compound = place.compound
    return {
        "subdistrict_id": compound.community.subdistrict_id,
        "community_id": compound.community_id,
        "compound": compound,
        "building": place,
    }


def _inside(parent: PartyOrg, anchor: dict) -> bool:
    """Whether the child's place lies in the parent's place."""
    if parent.level == OrgLevel.SUBDISTRICT:
        return anchor["subdistrict_id"] == parent.subdistrict_id
    if parent.level == OrgLevel.COMMUNITY:
        community = anchor.get("community")
        return (community.pk if community else anchor.get("community_id")) == parent.community_id
    return anchor["compound"].pk == parent.compound_id


@transaction.atomic
def party_org_create(
    *,
    actor: Actor,
    name: str,
    level: str,
    place,
    parent: PartyOrg | None = None,
    secretary: str = "",
) -> PartyOrg:
    """A node of the tree at ``place``; its parent must be the node of the level above whose
    place contains it."""
    name = clean_text(name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise PartyError("invalid_name", _("Give the organisation a name (at most 80 characters)."))
    if level not in OrgLevel.values:
        raise PartyError("invalid_level", _("Unknown level of party organisation."))
    anchor = _anchor_for(level, place)
    parent_level = PARENT_LEVEL[OrgLevel(level)]
    if parent_level is None and parent is not None:
        raise PartyError("wrong_parent", _("A subdistrict party working committee has no parent."))
    if parent_level is not None:
        if parent is None or parent.level != parent_level:
            raise PartyError(
                "wrong_parent",
                _("The parent of a %(level)s must be a %(parent)s.")
                % {"level": OrgLevel(level).label, "parent": parent_level.label},
            )
        if not _inside(parent, anchor):
            raise PartyError(
                "wrong_parent", _("The parent organisation does not cover this place.")
            )
    community = anchor.get("community")
    community_id = community.pk if community else anchor.get("community_id")
    if level == OrgLevel.SUBDISTRICT:
        allowed = rules.can_manage_subdistrict(actor, place.pk)
    elif level == OrgLevel.COMMUNITY:
        allowed = rules.can_manage_subdistrict(actor, place.subdistrict_id)
    else:
        allowed = rules.can_manage(actor, community_id)
    if not allowed:
        raise _forbidden()
    try:
        with transaction.atomic():
            return PartyOrg.objects.create(
                name=name,
                level=level,
                parent=parent,
                secretary=clean_text(secretary).strip()[:40],
                **anchor,
            )
    except IntegrityError:
        raise PartyError(
            "duplicate_org", _("This place already has a party organisation of this level.")
        ) from None


@transaction.atomic
def party_org_rename(
    *, actor: Actor, org: PartyOrg, name: str, secretary: str | None = None
) -> PartyOrg:
    """A new name (and secretary) for a node; who may do it is who may create it."""
    name = clean_text(name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise PartyError("invalid_name", _("Give the organisation a name (at most 80 characters)."))
    if org.level in (OrgLevel.SUBDISTRICT, OrgLevel.COMMUNITY):
        allowed = rules.can_manage_subdistrict(actor, org.subdistrict_id)
    else:
        allowed = rules.can_manage(actor, org.community_id)
    if not allowed:
        raise _forbidden()
    org.name = name
    if secretary is not None:
        org.secretary = clean_text(secretary).strip()[:40]
    org.save(update_fields=["name", "secretary"])
    return org


# ---- the roll -------------------------------------------------------------------------------


@transaction.atomic
def party_member_add(
    *,
    actor: Actor,
    branch: PartyOrg,
    person: Resident | Partner,
    lives_here: bool = True,
    in_service: bool = False,
    joined_on: dt.date | None = None,
) -> PartyMember:
    """Put a person on a branch's roll. A person already in a branch is refused: they leave
    it first (``party_member_leave``)."""
    if branch.level == OrgLevel.SUBDISTRICT:
        raise PartyError(
            "wrong_branch", _("Members belong to a community committee, branch or group.")
        )
    if not rules.can_manage(actor, branch.community_id):
        raise _forbidden()
    fields = _person_fields(person)
    if _person_community_id(person) != branch.community_id:
        raise PartyError(
            "other_community",
            _("%(name)s does not belong to this community.") % {"name": person.name},
        )
    resident_id = fields.get("resident_id") or getattr(fields.get("resident"), "pk", None)
    current = PartyMember.objects.filter(left_on__isnull=True)
    current = (
        current.filter(resident_id=resident_id)
        if resident_id
        else current.filter(partner=fields["partner"], resident__isnull=True)
    )
    existing = current.select_related("branch").first()
    if existing is not None:
        raise PartyError(
            "already_member",
            _("%(name)s is already a member of %(branch)s; record the leaving first.")
            % {"name": person.name, "branch": existing.branch.name},
        )
    try:
        with transaction.atomic():
            return PartyMember.objects.create(
                branch=branch,
                name=person.name,
                lives_here=bool(lives_here),
                in_service=bool(in_service),
                joined_on=joined_on or timezone.localdate(),
                **fields,
            )
    except IntegrityError:
        raise PartyError(
            "already_member",
            _("%(name)s is already a member of another branch.") % {"name": person.name},
        ) from None


@transaction.atomic
def party_member_leave(*, actor: Actor, member: PartyMember, left_on: dt.date | None = None):
    member = PartyMember.objects.select_for_update().select_related("branch").get(pk=member.pk)
    if not rules.can_manage(actor, member.branch.community_id):
        raise _forbidden()
    if member.left_on is not None:
        raise PartyError("already_left", _("This member has already left the branch."))
    left_on = left_on or timezone.localdate()
    if left_on < member.joined_on:
        raise PartyError("invalid_date", _("The leaving date is before the joining date."))
    member.left_on = left_on
    member.save(update_fields=["left_on"])
    return member


@transaction.atomic
def centre_household_designate(
    *, actor: Actor, member: PartyMember, neighbours: Sequence[Household], on: dt.date | None = None
) -> CentreHousehold:
    """Make a member's household a 党员中心户 looking after ``neighbours``: households of the
    same compound (the neighbours a member can walk to), never the member's own."""
    if not rules.can_manage(actor, member.branch.community_id):
        raise _forbidden()
    if member.resident is None or member.left_on is not None:
        raise PartyError(
            "no_household", _("Only a current member who lives here can be a centre household.")
        )
    home = Household.objects.select_related("unit__building").get(pk=member.resident.household_id)
    neighbours = list({h.pk: h for h in neighbours}.values())
    if not neighbours:
        raise PartyError("neighbours_required", _("Choose the households it looks after."))
    compound_id = home.unit.building.compound_id
    far = [
        h
        for h in Household.objects.filter(pk__in=[h.pk for h in neighbours]).select_related(
            "unit__building__compound"
        )
        if h.unit.building.compound_id != compound_id or h.pk == home.pk
    ]
    if far:
        raise PartyError(
            "not_neighbour",
            _("%(household)s is not a neighbouring household of the same compound.")
            % {"household": far[0].label},
        )
    centre, _created = CentreHousehold.objects.update_or_create(
        member=member,
        defaults={"household": home, "designated_on": on or timezone.localdate()},
    )
    centre.neighbours.set(neighbours)
    return centre


# ---- 双报到 ----------------------------------------------------------------------------------


@transaction.atomic
def reporting_unit_register(
    *, actor: Actor, organisation: Organisation, community: Community, on: dt.date | None = None
) -> ReportingUnit:
    if not rules.can_manage(actor, community.pk):
        raise _forbidden()
    if organisation.subdistrict_id != community.subdistrict_id or organisation.community_id not in (
        None,
        community.pk,
    ):
        raise PartyError(
            "other_community", _("This unit is registered in another community or subdistrict.")
        )
    try:
        with transaction.atomic():
            return ReportingUnit.objects.create(
                organisation=organisation,
                community=community,
                registered_on=on or timezone.localdate(),
            )
    except IntegrityError:
        raise PartyError(
            "already_registered", _("This unit is already registered with the community.")
        ) from None


def _own_person(actor: Actor, person) -> bool:
    """The member registering themselves through their own linked account."""
    if isinstance(person, Resident):
        return rules.resident_id(actor) == person.pk
    return rules.cadre_partner_id(actor) == person.pk


@transaction.atomic
def in_service_register(
    *, actor: Actor, unit: ReportingUnit, person: Resident | Partner, on: dt.date | None = None
) -> InServiceMember:
    """双报到 of an in-service member, by staff or by the member's own account. The member
    must live in (or serve as a partner of) the unit's community."""
    if not (rules.can_manage(actor, unit.community_id) or _own_person(actor, person)):
        raise _forbidden()
    fields = _person_fields(person)
    if _person_community_id(person) != unit.community_id:
        raise PartyError(
            "other_community",
            _("%(name)s does not live in this community: register where they live.")
            % {"name": person.name},
        )
    try:
        with transaction.atomic():
            return InServiceMember.objects.create(
                unit=unit,
                name=person.name,
                registered_on=on or timezone.localdate(),
                registered_by=acting_user(actor),
                **fields,
            )
    except IntegrityError:
        raise PartyError(
            "already_registered",
            _("%(name)s is already registered with the community.") % {"name": person.name},
        ) from None


def _may_act_for(actor: Actor, member: InServiceMember) -> bool:
    own = (member.resident_id and rules.resident_id(actor) == member.resident_id) or (
        member.partner_id and rules.cadre_partner_id(actor) == member.partner_id
    )
    return bool(own) or rules.can_manage(actor, member.unit.community_id)


@transaction.atomic
def post_create(*, actor: Actor, community: Community, title: str, description: str = "") -> Post:
    if not rules.can_manage(actor, community.pk):
        raise _forbidden()
    title = clean_text(title or "").strip()
    if not title or len(title) > 60:
        raise PartyError("invalid_title", _("Give the post a title (at most 60 characters)."))
    post, created = Post.objects.get_or_create(
        community=community,
        title=title,
        defaults={"description": clean_text(description).strip()[:200]},
    )
    if not created:
        raise PartyError("duplicate_post", _("The community already has this post."))
    return post


@transaction.atomic
def post_claim(
    *, actor: Actor, member: InServiceMember, post: Post, now: dt.datetime | None = None
) -> Claim:
    if not _may_act_for(actor, member):
        raise _forbidden()
    if post.community_id != member.unit.community_id:
        raise PartyError("other_community", _("This post belongs to another community."))
    try:
        with transaction.atomic():
            return Claim.objects.create(member=member, post=post, claimed_at=now_or(now))
    except IntegrityError:
        raise PartyError("already_claimed", _("You have already claimed this post.")) from None


@transaction.atomic
def member_wish_claim(
    *, actor: User, member: InServiceMember, wish: Wish, now: dt.datetime | None = None
) -> Claim:
    """A member claims a wish from the wish board through the wish board's own service, which
    lets a partner's account claim: the member does it with their own partner account."""
    if member.partner_id is None or rules.cadre_partner_id(actor) != member.partner_id:
        raise PartyError("forbidden", _("Wishes are claimed by the member's own partner account."))
    try:
        wish = wish_claim(actor=actor, wish=wish, now=now)
    except ProjectError as exc:
        raise PartyError(exc.code, exc.message) from exc
    return Claim.objects.create(member=member, wish=wish, claimed_at=wish.claimed_at or now_or(now))


# ---- 下沉干部 --------------------------------------------------------------------------------


@transaction.atomic
def cadre_assign(
    *,
    actor: Actor,
    cadre: Partner,
    compound: Compound,
    building: Building | None = None,
    starts_on: dt.date,
    ends_on: dt.date,
) -> CadreAssignment:
    if not rules.can_assign_cadres(actor, compound):
        raise _forbidden()
    if cadre.community_id != compound.community_id:
        raise PartyError(
            "other_community",
            _("%(name)s is not registered with this community.") % {"name": cadre.name},
        )
    if building is not None and building.compound_id != compound.pk:
        raise PartyError("wrong_place", _("The building is not in the compound."))
    if not (isinstance(starts_on, dt.date) and isinstance(ends_on, dt.date)) or ends_on < starts_on:
        raise PartyError("invalid_period", _("The period must end on or after its first day."))
    return CadreAssignment.objects.create(
        cadre=cadre,
        compound=compound,
        building=building,
        starts_on=starts_on,
        ends_on=ends_on,
        assigned_by=acting_user(actor),
    )


@transaction.atomic
def cadre_check_in(
    *,
    actor: Actor,
    assignment: CadreAssignment,
    building: Building | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> CheckIn:
    """The cadre checks in at the assigned place, on a day of the assigned period."""
    if rules.cadre_partner_id(actor) != assignment.cadre_id:
        raise PartyError("forbidden", _("Only the assigned cadre checks in."))
    now = now_or(now)
    day = timezone.localdate(now)
    if not assignment.starts_on <= day <= assignment.ends_on:
        raise PartyError(
            "outside_period",
            _("You are assigned here from %(start)s to %(end)s; today is outside that period.")
            % {"start": assignment.starts_on, "end": assignment.ends_on},
        )
    building = building or assignment.building
    if building is not None and (
        building.compound_id != assignment.compound_id
        or (assignment.building_id and building.pk != assignment.building_id)
    ):
        raise PartyError(
            "outside_place",
            _("%(place)s is not the place you are assigned to (%(assigned)s).")
            % {"place": building, "assigned": assignment.place},
        )
    return CheckIn.objects.create(
        assignment=assignment, at=now, building=building, note=clean_text(note or "").strip()[:200]
    )


def _owner_object(owner):
    return owner.partner or owner.team or owner.organisation or owner.user


@transaction.atomic
def cadre_task_dispatch(
    *,
    actor: User,
    matter: Matter,
    assignment: CadreAssignment,
    whistle: Sequence[Organisation] = (),
    whistle_hours: int = 72,
    note: str = "",
    now: dt.datetime | None = None,
) -> CadreTask:
    """Blow the whistle (吹哨) on a hard matter naming a dispatched cadre: the cadre's partner
    record joins the matter's owners through ``matter_assign`` (so the matter's rules give the
    cadre's account sight of it), next to its current owners and the summoned departments."""
    if assignment.compound.community_id != matter.community_id:
        raise PartyError(
            "other_community", _("This cadre is not assigned in the matter's community.")
        )
    today = timezone.localdate(now) if now else timezone.localdate()
    if not assignment.starts_on <= today <= assignment.ends_on:
        raise PartyError("outside_period", _("This cadre's assignment is not current."))
    if CadreTask.objects.filter(assignment=assignment, matter=matter).exists():
        raise PartyError("already_dispatched", _("This matter is already dispatched to the cadre."))
    current = [
        _owner_object(owner)
        for owner in matter.owners.filter(active=True, is_whistle=False).select_related(
            "partner", "team", "organisation", "user"
        )
    ]
    owners = [o for o in current if o != assignment.cadre] + [assignment.cadre]
    try:
        matter_assign(
            actor=actor,
            matter=matter,
            owners=owners,
            whistle=list(whistle),
            whistle_hours=whistle_hours,
            note=note,
            now=now,
        )
    except MatterError as exc:
        raise PartyError(exc.code, exc.message) from exc
    return CadreTask.objects.create(
        assignment=assignment,
        matter=matter,
        dispatched_at=now_or(now),
        dispatched_by=acting_user(actor),
    )

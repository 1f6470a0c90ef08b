"""The type-ahead picker: search and resolve the people, teams and organisations a user may
choose, wherever a page asks "who?" (owners, invitees, mediators, volunteers, verifiers).

Values are written ``"<kind>:<id>"`` (``partner:12``, ``team_members:3``). ``search`` answers a
few typed characters with at most ``limit`` options, each with a hint that tells people with the
same name apart (place, role, team, 在办 load); ``resolve`` turns submitted values back into
model instances, refusing anything outside the user's reach. Both read through the apps' own
visibility rules (``partner_list``, ``team_list``, ``organisation_list``, ``resident_list`` and
the directory reach for user accounts), so a picker never shows more than the registry pages.

Every search costs a fixed number of queries per kind, whatever the number of matches.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import directory_reach, is_staff_like
from gongzhi.core.places import Place
from gongzhi.core.scope import Actor
from gongzhi.partners.models import Organisation, Partner, PartnerStatus, Team, TeamMembership
from gongzhi.partners.selectors import organisation_list, partner_list, team_list
from gongzhi.people.models import Resident
from gongzhi.people.selectors import resident_list
from gongzhi.places.models import Building
from gongzhi.places.rules import places_visible

PERSON_KINDS = ("partner", "team", "organisation", "user", "resident")
# Group kinds stand for several partners at once; ``resolve`` expands them.
GROUP_KINDS = ("team_members", "building_partners")
KINDS = PERSON_KINDS + GROUP_KINDS
USER_ROLES = (UserRole.COMMUNITY_STAFF, UserRole.GRID_WORKER)
# Named narrowings of the partners a picker offers, registered by the app that needs them
# (mediation registers "mediators" in its AppConfig.ready): name -> f(partner queryset).
PARTNER_FILTERS: dict[str, Callable[[QuerySet], QuerySet]] = {}


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    hint: str


class PickError(Exception):
    """A submitted choice that cannot be accepted; ``message`` is translated and shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_kinds(kinds) -> list[str]:
    """Kinds from a list or a comma-separated string, in order, each once; unknown ones refused."""
    if isinstance(kinds, str):
        kinds = kinds.split(",")
    result = []
    for kind in (k.strip() for k in kinds):
        if kind not in KINDS:
            raise PickError(_("This picker cannot choose that kind of entry."))
        if kind not in result:
            result.append(kind)
    if not result:
        raise PickError(_("This picker cannot choose that kind of entry."))
    return result


def _community_id(community) -> int | None:
    return getattr(community, "pk", community)


def _community_place(community_id: int | None) -> Place | None:
    return Place("community", community_id) if community_id else None


# The 在办 load of a hint: (owner field of a matter owner — "partner_id", "team_id", "user_id" —,
# ids) → {id: open matters}, in one query. The matters app sets it from ``MattersConfig.ready``
# (``matters.selectors.open_load``): pickers sit below matters, which use them, and so do not
# import matters. Unset, hints carry no load.
LOAD: list[Callable[[str, list[int]], dict[int, int]]] = []


def _load(field: str, ids) -> dict[int, int]:
    ids = list(ids)
    if not ids or not LOAD:
        return {}
    return LOAD[0](field, ids)


def _hint(*parts) -> str:
    return " · ".join(str(part) for part in parts if part)


def _load_text(n: int) -> str:
    return _("%(n)s open") % {"n": n} if n else ""


# Partners -----------------------------------------------------------------------------------


def _partners_visible(user: Actor, community_id, only=None):
    qs = partner_list(user, place=_community_place(community_id))
    return PARTNER_FILTERS[only](qs) if only else qs


def _check_only(only: str | None) -> None:
    if only and only not in PARTNER_FILTERS:
        raise PickError(_("This picker cannot choose that kind of entry."))


def _phone_tail_ids(qs, digits: str) -> list[int]:
    """Partners whose phone ends in ``digits``. Phones are encrypted, so the comparison happens
    after decryption, over the (already scoped) partners: one query."""
    return [pk for pk, phone in qs.values_list("pk", "phone") if phone and phone.endswith(digits)]


def _search_partners(user: Actor, q, community_id, limit, only=None):
    qs = _partners_visible(user, community_id, only).filter(status=PartnerStatus.ACTIVE)
    match = Q(name__contains=q)
    if len(q) == 4 and q.isdigit() and is_staff_like(user):
        match |= Q(pk__in=_phone_tail_ids(qs, q))
    return _partner_options(list(qs.filter(match)[:limit]))


def _partner_options(partners) -> list[Option]:
    # Partners may come from anywhere (``options_for``): load what the hint needs in bulk.
    prefetch_related_objects(partners, "community", "compound", "building__compound", "roles")
    ids = [p.pk for p in partners]
    teams = defaultdict(list)
    for membership in TeamMembership.objects.filter(partner_id__in=ids).select_related("team"):
        teams[membership.partner_id].append(membership.team.name)
    load = _load("partner_id", ids)
    options = []
    for p in partners:
        anchor = p.building or p.compound or p.community
        roles = [role.name for role in p.roles.all()][:2]
        hint = _hint(
            anchor, p.get_kind_display(), "、".join(roles), "、".join(teams[p.pk][:2]),
            _load_text(load.get(p.pk, 0)),
        )  # fmt: skip
        options.append(Option(f"partner:{p.pk}", p.name, hint))
    return options


# Teams and organisations --------------------------------------------------------------------


def _search_teams(user: Actor, q, community_id, limit):
    return _team_options(
        list(team_list(user, place=_community_place(community_id), search=q)[:limit])
    )


def _team_options(teams) -> list[Option]:
    prefetch_related_objects(teams, "community", "compound")
    load = _load("team_id", [t.pk for t in teams])
    options = []
    for team in teams:
        members = getattr(team, "member_count", None)
        hint = _hint(
            team.get_kind_display(),
            team.compound or team.community,
            _("%(n)s members") % {"n": members} if members is not None else "",
            _load_text(load.get(team.pk, 0)),
        )
        options.append(Option(f"team:{team.pk}", team.name, hint))
    return options


def _search_organisations(user: Actor, q, community_id, limit):
    qs = organisation_list(user, place=_community_place(community_id), search=q)
    return _organisation_options(list(qs[:limit]))


def _organisation_options(organisations) -> list[Option]:
    prefetch_related_objects(organisations, "subdistrict", "community", "compound")
    return [
        Option(
            f"organisation:{o.pk}",
            o.name,
            _hint(o.get_kind_display(), o.compound or o.community or o.subdistrict),
        )
        for o in organisations
    ]


# User accounts (grid workers and community staff) -------------------------------------------


def users_visible(user: Actor, *, community_id: int | None = None):
    """Active grid-worker and community-staff accounts in the user's directory reach."""
    qs = get_user_model().objects.filter(is_active=True, profile__role__in=USER_ROLES)
    reach = directory_reach(user)
    if reach.nowhere:
        return qs.none()
    places = []
    if reach.place is not None:  # neither everywhere nor (above) nowhere
        places.append(reach.place)
    if community_id:
        places.append(Place("community", community_id))
    for place in places:
        # A staff profile hangs at a community or a compound, a grid worker's at a grid.
        prefix = "subdistrict" if place.level == "subdistrict" else "id"
        lookups = [f"profile__{via}community__{prefix}" for via in ("", "compound__", "grid__")]
        qs = qs.filter(
            Q(**{lookups[0]: place.id}) | Q(**{lookups[1]: place.id}) | Q(**{lookups[2]: place.id})
        )
    return qs.select_related("profile__community", "profile__compound", "profile__grid")


def _search_users(user: Actor, q, community_id, limit):
    qs = users_visible(user, community_id=community_id).filter(
        Q(first_name__contains=q) | Q(last_name__contains=q)
    )
    return _user_options(
        list(qs.order_by("profile__role", "last_name", "first_name", "id")[:limit])
    )


def user_label(account) -> str:
    """A user account by name, never by username (the role when no name is on record)."""
    profile = getattr(account, "profile", None)
    return account.get_full_name() or (str(profile.get_role_display()) if profile else "")


def _user_options(accounts) -> list[Option]:
    prefetch_related_objects(accounts, "profile__community", "profile__compound", "profile__grid")
    load = _load("user_id", [a.pk for a in accounts])
    options = []
    for account in accounts:
        profile = account.profile
        scope = profile.grid or profile.compound or profile.community
        hint = _hint(profile.get_role_display(), scope, _load_text(load.get(account.pk, 0)))
        options.append(Option(f"user:{account.pk}", user_label(account), hint))
    return options


# Residents (registry reach: only staff, officials and grid workers see any) -----------------


def _search_residents(user: Actor, q, community_id, limit):
    qs = resident_list(user, place=_community_place(community_id), search=q)
    return _resident_options(list(qs[:limit]))


def _resident_options(residents) -> list[Option]:
    prefetch_related_objects(residents, "household__unit__building__compound")
    return [
        Option(f"resident:{r.pk}", r.name, _hint(r.household.label, r.get_gender_display()))
        for r in residents
    ]


# Groups -------------------------------------------------------------------------------------


def _active_members(team_ids) -> dict[int, int]:
    rows = (
        TeamMembership.objects.filter(team_id__in=list(team_ids), partner__status="active")
        .values("team_id")
        .annotate(n=Count("id"))
    )
    return {row["team_id"]: row["n"] for row in rows}


def _search_team_members(user: Actor, q, community_id, limit):
    teams = list(team_list(user, place=_community_place(community_id), search=q)[:limit])
    return _team_members_options(teams)


def _team_members_options(teams) -> list[Option]:
    counts = _active_members([t.pk for t in teams])
    return [
        Option(
            f"team_members:{team.pk}",
            _("All members of %(team)s") % {"team": team.name},
            _hint(_("%(n)s members") % {"n": counts[team.pk]}, team.compound or team.community),
        )
        for team in teams
        if counts.get(team.pk)
    ]


def _buildings_visible(user: Actor, community_id):
    qs = places_visible(user, Building.objects.select_related("compound"))
    if community_id:
        qs = qs.filter(compound__community_id=community_id)
    return qs


def _search_building_partners(user: Actor, q, community_id, limit):
    qs = _buildings_visible(user, community_id)
    # "渔家苑 1栋": every word must appear in the compound's or the building's name.
    for word in q.split():
        qs = qs.filter(Q(name__contains=word) | Q(compound__name__contains=word))
    qs = qs.annotate(
        partner_count=Count("partners", filter=Q(partners__status=PartnerStatus.ACTIVE))
    ).filter(partner_count__gt=0)
    return _building_partners_options(list(qs.order_by("compound__name", "number", "name")[:limit]))


def _building_partners_options(buildings) -> list[Option]:
    return [
        Option(
            f"building_partners:{b.pk}",
            _("All partners of %(building)s") % {"building": b},
            _("%(n)s partners") % {"n": b.partner_count},
        )
        for b in buildings
    ]


_SEARCHES = {
    "partner": _search_partners,
    "team": _search_teams,
    "organisation": _search_organisations,
    "user": _search_users,
    "resident": _search_residents,
    "team_members": _search_team_members,
    "building_partners": _search_building_partners,
}


def search(
    user: Actor, q: str, kinds, *, community=None, limit: int = 20, only: str | None = None
) -> list[Option]:
    """At most ``limit`` options matching ``q`` among ``kinds``, all within the user's reach.

    Each kind gets a fair share: options are taken in turn from each kind's matches, then shown
    grouped by kind in the order asked for. ``only`` names a registered narrowing of partners
    (``PARTNER_FILTERS``).
    """
    kinds = parse_kinds(kinds)
    _check_only(only)
    q = (q or "").strip()[:40]
    if not q or limit <= 0:
        return []
    community_id = _community_id(community)
    found = [
        _search_partners(user, q, community_id, limit, only)
        if kind == "partner"
        else _SEARCHES[kind](user, q, community_id, limit)
        for kind in kinds
    ]
    taken = [0] * len(found)
    total = 0
    while total < limit and any(taken[i] < len(rows) for i, rows in enumerate(found)):
        for i, rows in enumerate(found):
            if taken[i] < len(rows) and total < limit:
                taken[i] += 1
                total += 1
    return [option for i, rows in enumerate(found) for option in rows[: taken[i]]]


def options_for(objects) -> list[Option]:
    """Options (with hints) for model instances already chosen, e.g. a picker's ``initial``."""
    by_type = defaultdict(list)
    for obj in objects:
        by_type[type(obj)].append(obj)
    built = {}
    builders = {
        Partner: _partner_options,
        Team: _team_options,
        Organisation: _organisation_options,
        Resident: _resident_options,
        get_user_model(): _user_options,
    }
    for model, objs in by_type.items():
        for obj, option in zip(objs, builders[model](objs), strict=True):
            built[id(obj)] = option
    return [built[id(obj)] for obj in objects]


# Resolving submitted values -----------------------------------------------------------------


def _fetch(user: Actor, kind, ids, community_id, only):
    """The instances of ``kind`` with these ids that the user may choose, by id."""
    place = _community_place(community_id)
    if kind == "partner":
        qs = _partners_visible(user, community_id, only)
    elif kind == "team":
        qs = team_list(user, place=place)
    elif kind == "organisation":
        qs = organisation_list(user, place=place)
    elif kind == "user":
        qs = users_visible(user, community_id=community_id)
    elif kind == "resident":
        qs = resident_list(user, place=place)
    elif kind == "team_members":
        qs = team_list(user, place=place)
    else:
        qs = _buildings_visible(user, community_id)
    return qs.in_bulk(ids)


def _expand(user: Actor, kind, group_ids, community_id, only) -> dict[int, list[Partner]]:
    """The active, visible partners of each team or building."""
    visible = _partners_visible(user, community_id, only).filter(status=PartnerStatus.ACTIVE)
    members = defaultdict(list)
    if kind == "team_members":
        memberships = TeamMembership.objects.filter(
            team_id__in=group_ids, partner__in=visible.values("pk")
        ).select_related("partner")
        for membership in memberships.order_by("team_id", "partner__kind", "partner_id"):
            members[membership.team_id].append(membership.partner)
    else:
        for partner in visible.filter(building_id__in=group_ids):
            members[partner.building_id].append(partner)
    return members


def resolve(user: Actor, values, kinds, *, community=None, only: str | None = None) -> list:
    """Model instances for submitted ``values``, in order and each once; group values expand to
    their partners. Anything unknown, of a kind not allowed here or outside the user's reach
    raises ``PickError`` and nothing is returned."""
    kinds = parse_kinds(kinds)
    _check_only(only)
    community_id = _community_id(community)
    parsed = []
    for value in values:
        kind, _sep, raw = str(value).strip().partition(":")
        if kind not in kinds or not raw.isdigit():
            raise PickError(_("One of the chosen entries cannot be chosen here."))
        parsed.append((kind, int(raw)))
    wanted = defaultdict(set)
    for kind, pk in parsed:
        wanted[kind].add(pk)
    found = {}
    for kind, ids in wanted.items():
        objs = _fetch(user, kind, list(ids), community_id, only)
        if len(objs) != len(ids):
            raise PickError(_("One of the chosen entries is not within your reach."))
        found[kind] = objs
    groups = {
        kind: _expand(user, kind, list(wanted[kind]), community_id, only)
        for kind in GROUP_KINDS
        if kind in wanted
    }
    result, seen = [], set()
    for kind, pk in parsed:
        items = groups[kind].get(pk, []) if kind in groups else [found[kind][pk]]
        if kind in groups and not items:
            raise PickError(_("A chosen group has no active partners."))
        for item in items:
            key = (type(item), item.pk)
            if key not in seen:
                seen.add(key)
                result.append(item)
    return result

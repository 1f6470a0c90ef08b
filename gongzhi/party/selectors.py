"""Reads of the party structure: the tree with figures per branch, the quarterly feedback per
reporting unit, cadres with their check-ins and tasks, and the overview section.

Every list is computed in a fixed number of queries, whatever the number of branches, units or
cadres (grouped aggregates, then a merge in Python).
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext as _

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.matters import rules as matter_rules
from gongzhi.matters.models import OPEN_STATUSES, Matter, Status, Tier
from gongzhi.partners.models import Organisation, OrganisationKind, Partner
from gongzhi.party import rules
from gongzhi.party.models import (
    CadreAssignment,
    CadreTask,
    Claim,
    InServiceMember,
    OrgLevel,
    PartyMember,
    PartyOrg,
    ReportingUnit,
)
from gongzhi.places.models import Community, Subdistrict
from gongzhi.volunteering.models import FIXED_STATUSES, ServiceRecord

HANDLED = (Status.DONE, Status.CLOSED)
QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


def party_section(place: Place | None) -> dict:
    """``overview.party``: branches (支部 and 党小组), current members, in-service members and
    units registered (双报到), cadres with a current assignment."""
    from django.utils import timezone

    today = timezone.localdate()
    orgs = narrow(PartyOrg.objects.all(), place)
    return {
        "party": {
            "branches": orgs.filter(level__in=(OrgLevel.COMPOUND, OrgLevel.BUILDING)).count(),
            "members": narrow(PartyMember.objects.filter(left_on__isnull=True), place).count(),
            "in_service_registered": narrow(InServiceMember.objects.all(), place).count(),
            "units_registered": narrow(ReportingUnit.objects.all(), place).count(),
            "dispatched_cadres": narrow(
                CadreAssignment.objects.filter(starts_on__lte=today, ends_on__gte=today), place
            )
            .values("cadre_id")
            .distinct()
            .count(),
        }
    }


def person_minutes(rows, start: dt.date, end: dt.date) -> dict:
    """Confirmed service minutes per person between two dates (inclusive), keyed ("r", resident
    id) or ("p", partner id) like the rows' people (objects with resident_id / partner_id). Two
    queries, whatever the number of people."""
    residents = {r.resident_id for r in rows if r.resident_id}
    partners = {r.partner_id for r in rows if not r.resident_id and r.partner_id}
    records = ServiceRecord.objects.filter(
        status__in=FIXED_STATUSES, activity__date__gte=start, activity__date__lte=end
    )
    minutes: dict[tuple[str, int], int] = {}
    if residents:
        for resident_id, n in (
            records.filter(resident_id__in=residents)
            .values("resident_id")
            .annotate(n=Sum("minutes"))
            .values_list("resident_id", "n")
        ):
            minutes[("r", resident_id)] = n
    if partners:
        for partner_id, n in (
            records.filter(partner_id__in=partners, resident__isnull=True)
            .values("partner_id")
            .annotate(n=Sum("minutes"))
            .values_list("partner_id", "n")
        ):
            minutes[("p", partner_id)] = n
    return minutes


def person_key(row) -> tuple:
    return ("r", row.resident_id) if row.resident_id else ("p", row.partner_id)


@dataclass
class OrgRow:
    org: PartyOrg
    depth: int
    members: int = 0
    matters_raised: int = 0
    matters_handled: int = 0
    service_hours: float = 0.0


def org_tree(user, *, community_id: int | None = None, since: dt.date | None = None) -> list:
    """The visible tree in display order (depth-first), each node with its figures: current
    members, matters raised in its place (and handled: done or closed) since ``since``, and its
    current members' confirmed service hours since ``since``. Six queries."""
    orgs = rules.visible(user, PartyOrg.objects.select_related("compound", "building"))
    if community_id is not None:
        orgs = orgs.filter(Q(community_id=community_id) | Q(level=OrgLevel.SUBDISTRICT))
    orgs = list(orgs)
    since = since or dt.date(2000, 1, 1)
    members = list(
        PartyMember.objects.filter(branch__in=orgs, left_on__isnull=True).only(
            "branch_id", "resident_id", "partner_id"
        )
    )
    minutes = person_minutes(members, since, dt.date.max)
    matters = Matter.objects.filter(
        community_id__in={o.community_id for o in orgs if o.community_id},
        created_at__date__gte=since,
    )
    counts: dict[str, dict[int, tuple[int, int]]] = {
        "compound": {},
        "building": {},
        "community": {},
    }
    for level in counts:
        for row in matters.values(f"{level}_id").annotate(
            raised=Count("id"), handled=Count("id", filter=Q(status__in=HANDLED))
        ):
            counts[level][row[f"{level}_id"]] = (row["raised"], row["handled"])
    rows = {o.pk: OrgRow(org=o, depth=0) for o in orgs}
    for member in members:
        row = rows[member.branch_id]
        row.members += 1
        row.service_hours += minutes.get(person_key(member), 0) / 60
    for row in rows.values():
        level = row.org.level
        if level in counts:
            anchor = getattr(row.org, f"{level}_id")
            row.matters_raised, row.matters_handled = counts[level].get(anchor, (0, 0))
        row.service_hours = round(row.service_hours, 1)
    children: dict[int | None, list[PartyOrg]] = {}
    for o in orgs:
        children.setdefault(o.parent_id if o.parent_id in rows else None, []).append(o)
    ordered = []

    def walk(parent_id, depth):
        for child in sorted(children.get(parent_id, []), key=lambda o: o.name):
            rows[child.pk].depth = depth
            ordered.append(rows[child.pk])
            walk(child.pk, depth + 1)

    walk(None, 0)
    return ordered


def members_visible(user):
    return rules.visible(
        user,
        PartyMember.objects.filter(left_on__isnull=True)
        .select_related("branch")
        .annotate(looks_after=Count("centre_household__neighbours")),
    )


# ---- 双报到 feedback -------------------------------------------------------------------------


def parse_quarter(text: str) -> tuple[dt.date, dt.date]:
    """ "2026Q4" → (2026-10-01, 2026-12-31); ValueError with a translated message otherwise."""
    match = QUARTER_RE.match((text or "").strip().upper())
    if not match:
        raise ValueError(_("Write the quarter as 2026Q4."))
    year, quarter = int(match.group(1)), int(match.group(2))
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


@dataclass
class MemberLine:
    name: str
    registered_on: dt.date
    hours: float
    claims: list[str]


@dataclass
class UnitFeedback:
    unit: ReportingUnit
    lines: list[MemberLine] = field(default_factory=list)

    @property
    def total_hours(self) -> float:
        return round(sum(line.hours for line in self.lines), 1)

    @property
    def active(self) -> int:
        return sum(1 for line in self.lines if line.hours or line.claims)


def unit_feedback(user, *, community_id: int, start: dt.date, end: dt.date) -> list[UnitFeedback]:
    """为单位反馈报到表现: per registered unit of the community, each member's confirmed service
    hours and claims (posts, wishes) in the period. Five queries."""
    units = list(
        rules.visible(user, ReportingUnit.objects.filter(community_id=community_id)).select_related(
            "organisation"
        )
    )
    members = list(InServiceMember.objects.filter(unit__in=units).order_by("unit_id", "name"))
    minutes = person_minutes(members, start, end)
    claims: dict[int, list[str]] = {}
    for claim in Claim.objects.filter(
        member__in=members, claimed_at__date__gte=start, claimed_at__date__lte=end
    ).select_related("post", "wish"):
        label = claim.post.title if claim.post else _("wish: %(text)s") % {"text": claim.wish}
        claims.setdefault(claim.member_id, []).append(label)
    result = {unit.pk: UnitFeedback(unit=unit) for unit in units}
    for member in members:
        result[member.unit_id].lines.append(
            MemberLine(
                name=member.name,
                registered_on=member.registered_on,
                hours=round(minutes.get(person_key(member), 0) / 60, 1),
                claims=claims.get(member.pk, []),
            )
        )
    return list(result.values())


# ---- 下沉干部 --------------------------------------------------------------------------------


@dataclass
class CadreRow:
    assignment: CadreAssignment
    checkins: int
    last_checkin: dt.datetime | None
    tasks: list


def cadre_rows(user, *, since: dt.date) -> list[CadreRow]:
    """Assignments the user may see, each with its check-ins since ``since`` and its tasks, in
    compound order. Three queries."""
    assignments = list(
        rules.visible(
            user,
            CadreAssignment.objects.select_related("cadre", "compound", "building").annotate(
                n_checkins=Count("checkins", filter=Q(checkins__at__date__gte=since)),
                last_checkin=Max("checkins__at"),
            ),
        ).order_by("compound__name", "cadre__name", "-starts_on")
    )
    tasks: dict[int, list[CadreTask]] = {}
    for task in CadreTask.objects.filter(assignment__in=assignments).select_related("matter"):
        tasks.setdefault(task.assignment_id, []).append(task)
    return [
        CadreRow(
            assignment=a,
            checkins=a.n_checkins,
            last_checkin=a.last_checkin,
            tasks=tasks.get(a.pk, []),
        )
        for a in assignments
    ]


def own_assignments(user, *, today: dt.date) -> list[CadreAssignment]:
    """A cadre's current assignments, for the check-in page."""
    partner_id = rules.cadre_partner_id(user)
    if partner_id is None:
        return []
    return list(
        CadreAssignment.objects.filter(
            cadre_id=partner_id, starts_on__lte=today, ends_on__gte=today
        ).select_related("compound", "building")
    )


def cadre_candidates(user):
    """Partners who can be dispatched: those with the 下沉干部 role in the user's reach."""
    if not rules.can_view(user):
        return Partner.objects.none()
    return rules.visible(
        user, Partner.objects.active().filter(roles__code="dispatched_cadre").distinct()
    ).order_by("name")


def dispatchable_matters(user, limit: int = 200):
    """Open hard matters the user may see, newest first: what a whistle can name a cadre for."""
    return matter_rules.matters_visible(
        user, Matter.objects.filter(tier=Tier.HARD, status__in=OPEN_STATUSES)
    ).order_by("-created_at")[:limit]


def whistle_departments(user):
    """The departments of the user's subdistrict, which a whistle summons."""
    return Organisation.objects.filter(
        kind=OrganisationKind.DEPARTMENT,
        subdistrict__in=rules.visible(user, Subdistrict.objects.all()),
    ).order_by("name")


def unregistered_units(community_id: int):
    """Organisations of the community's subdistrict (its departments and units, or the
    community's own) not yet registered with it: the choices for 双报到 of a unit."""
    community = Community.objects.get(pk=community_id)
    return (
        Organisation.objects.filter(subdistrict_id=community.subdistrict_id)
        .filter(Q(community__isnull=True) | Q(community_id=community_id))
        .exclude(
            kind__in=(
                OrganisationKind.RESIDENTS_COMMITTEE,
                OrganisationKind.PARTY_COMMITTEE,
                OrganisationKind.PARTY_BRANCH,
                OrganisationKind.OWNERS_COMMITTEE,
            )
        )
        .exclude(
            pk__in=ReportingUnit.objects.filter(community_id=community_id).values("organisation")
        )
        .order_by("name")
    )


def unregistered_party_partners(community_id: int):
    """Party-member partners of the community not yet registered as in-service members."""
    taken = InServiceMember.objects.filter(unit__community_id=community_id)
    return (
        Partner.objects.active()
        .filter(community_id=community_id, is_party_member=True)
        .select_related("building__compound")
        .exclude(pk__in=taken.values("partner_id"))
        .exclude(resident_id__in=taken.filter(resident__isnull=False).values("resident_id"))
        .order_by("name", "pk")
    )

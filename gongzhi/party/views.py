"""Pages: the tree with figures per branch, the roll, the reporting units with their quarterly
feedback letter, the cadres' attendance and tasks per compound (staff and officials), and the
cadre's phone check-in page with one big 签到 button.

Writes call the same services as the API and the commands; a refusal is shown as a message and
changes nothing.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core.excel import xlsx_response
from gongzhi.core.naturalsort import natural_sorted
from gongzhi.matters import rules as matter_rules
from gongzhi.matters.models import Matter
from gongzhi.partners.models import Organisation, Partner
from gongzhi.party import feedback, forms, rules, selectors, services
from gongzhi.party.models import (
    CadreAssignment,
    CentreHousehold,
    OrgLevel,
    PartyMember,
    PartyOrg,
    ReportingUnit,
)
from gongzhi.pickers.selectors import PickError, resolve
from gongzhi.places.models import Building, Community, Compound, Household

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _require_viewer(user) -> None:
    if not rules.can_view(user):
        raise PermissionDenied


def _community_id(request) -> int | None:
    """The community a page shows: staff their own, officials the one they pick."""
    raw = request.GET.get("community", "")
    if raw.isdigit():
        return int(raw)
    profile = getattr(request.user, "profile", None)
    return profile.community_id_resolved if profile is not None else None


def _communities(user):
    return rules.visible(user, Community.objects.all()) if rules.can_view(user) else []


@login_required
@require_http_methods(["GET", "POST"])
def tree(request):
    """The tree with figures per node; the community's staff add a branch or a group here."""
    _require_viewer(request.user)
    community_id = _community_id(request)
    manage = rules.can_manage(request.user, community_id)
    if request.method == "POST":
        _write(request, _org_rename if request.POST.get("action") == "rename" else _org_create)
        return redirect(_back(request, "party:tree", "community"))
    since = timezone.localdate() - dt.timedelta(days=365)
    rows = selectors.org_tree(request.user, community_id=community_id, since=since)
    parents = [r.org for r in rows if r.org.level in (OrgLevel.COMMUNITY, OrgLevel.COMPOUND)]
    return render(
        request,
        "party/tree.html",
        {
            "rows": rows,
            "since": since,
            "communities": _communities(request.user),
            "can_manage": manage,
            "levels": [(level.value, level.label) for level in forms.STAFF_LEVELS],
            "places": forms.place_choices(community_id) if manage else [],
            "parents": [p for p in parents if p.community_id == community_id] if manage else [],
            "editing": _editing_org(request, rows) if manage else None,
        },
    )


def _write(request, write) -> None:
    """Run one page write; a refusal (the service's own message) is shown and changes nothing."""
    try:
        write(request)
    except (services.PartyError, PickError) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(request, _("Saved."))


def _back(request, name: str, *keep: str) -> str:
    """The page again, keeping the filters it was showing (not the edit of one row)."""
    query = urlencode({k: request.GET[k] for k in keep if request.GET.get(k)})
    return reverse(name) + (f"?{query}" if query else "")


def _org_create(request) -> None:
    community_id = _community_id(request)
    if not rules.can_manage(request.user, community_id):
        raise PermissionDenied
    services.party_org_create(
        actor=request.user,
        name=request.POST.get("name", ""),
        level=request.POST.get("level", ""),
        place=forms.parse_place(request.POST.get("place", ""), community_id),
        parent=forms.pick_org(
            request.user,
            request.POST.get("parent"),
            community_id,
            _("Choose the parent organisation from the tree."),
        ),
        secretary=request.POST.get("secretary", ""),
    )


def _editing_org(request, rows):
    """The node opened for renaming (``?edit=<id>``): a branch or group of the community."""
    raw = request.GET.get("edit", "")
    return next(
        (r.org for r in rows if raw == str(r.org.pk) and r.org.level in forms.STAFF_LEVELS),
        None,
    )


def _org_rename(request) -> None:
    community_id = _community_id(request)
    if not rules.can_manage(request.user, community_id):
        raise PermissionDenied
    services.party_org_rename(
        actor=request.user,
        org=forms.pick_org(
            request.user,
            request.POST.get("org"),
            community_id,
            _("Choose the organisation from the tree."),
        ),
        name=request.POST.get("name", ""),
        secretary=request.POST.get("secretary", ""),
    )


@login_required
@require_http_methods(["GET", "POST"])
def members(request):
    """The roll; the community's staff add a member, move one to another branch or record the
    leaving here (``?edit=<id>`` opens one row's form, so the page never repeats a branch list
    per row)."""
    _require_viewer(request.user)
    community_id = _community_id(request)
    manage = rules.can_manage(request.user, community_id)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied
        action = request.POST.get("action")
        write = {
            "add": _member_add,
            "move": _member_move,
            "leave": _member_leave,
            "centre": _centre_designate,
        }.get(action)
        if write is None:
            messages.error(request, _("Unknown action."))
        else:
            _write(request, write)
        return redirect(_back(request, "party:members", "branch", "community"))
    qs = selectors.members_visible(request.user)
    branch = request.GET.get("branch", "")
    if branch.isdigit():
        qs = qs.filter(branch_id=int(branch))
    editing = None
    if manage and request.GET.get("edit", "").isdigit():
        editing = qs.filter(pk=int(request.GET["edit"])).first()
    return render(
        request,
        "party/members.html",
        {
            "members": qs[:500],
            "total": qs.count(),
            "can_manage": manage,
            "branches": forms.branch_choices(request.user, community_id) if manage else [],
            "editing": editing,
            "centre": _centre_choices(request, editing)
            if editing and editing.resident_id
            else None,
            "today": timezone.localdate(),
        },
    )


def _centre_choices(request, member) -> dict:
    """The households a 党员中心户 may look after, one building of the member's compound at a
    time (``?building=``, the member's own by default) so the form stays short; the neighbours
    already chosen in other buildings are kept as hidden values."""
    home = Household.objects.select_related("unit__building__compound").get(
        pk=member.resident.household_id
    )
    compound = home.unit.building.compound
    buildings = natural_sorted(compound.buildings.all(), lambda b: b.name)
    raw = request.GET.get("building", "")
    building = next((b for b in buildings if str(b.pk) == raw), home.unit.building)
    centre = CentreHousehold.objects.filter(member=member).first()
    chosen = set(centre.neighbours.values_list("pk", flat=True)) if centre else set()
    households = natural_sorted(
        Household.objects.filter(unit__building=building)
        .exclude(pk=home.pk)
        .select_related("unit__building__compound"),
        lambda h: f"{h.unit.name} {h.room}",
    )
    here = {h.pk for h in households}
    return {
        "buildings": buildings,
        "building": building,
        "households": [(h, h.pk in chosen) for h in households],
        "kept": sorted(chosen - here),
        "designated": centre is not None,
    }


def _current_member(request) -> PartyMember:
    return get_object_or_404(
        rules.visible(
            request.user,
            PartyMember.objects.filter(left_on__isnull=True).select_related(
                "branch", "partner", "resident__household__unit__building__compound"
            ),
        ),
        pk=_int(request.POST.get("member")),
    )


def _branch(request) -> PartyOrg:
    return forms.pick_org(
        request.user,
        request.POST.get("branch"),
        _community_id(request),
        _("Choose the branch from the tree."),
    )


def _member_add(request) -> None:
    picked = resolve(request.user, request.POST.getlist("person")[:1], ["resident", "partner"])
    if not picked:
        raise services.PartyError("invalid_person", _("Choose a resident or a partner."))
    services.party_member_add(
        actor=request.user,
        branch=_branch(request),
        person=picked[0],
        lives_here=bool(request.POST.get("lives_here")),
        in_service=bool(request.POST.get("in_service")),
    )


def _left_on(request) -> dt.date | None:
    raw = request.POST.get("left_on", "")
    return _date(raw, _("leaving date")) if raw else None


def _member_leave(request) -> None:
    services.party_member_leave(
        actor=request.user, member=_current_member(request), left_on=_left_on(request)
    )


def _centre_designate(request) -> None:
    ids = [_int(v) for v in request.POST.getlist("neighbour")]
    services.centre_household_designate(
        actor=request.user,
        member=_current_member(request),
        neighbours=list(Household.objects.filter(pk__in=ids)),
    )


@transaction.atomic
def _member_move(request) -> None:
    """A move is the leaving plus the joining of the new branch, as the roll models it (one
    current branch per member); one transaction, so a refused joining keeps the old branch."""
    member = _current_member(request)
    branch = _branch(request)
    if branch.pk == member.branch_id:
        raise services.PartyError("same_branch", _("The member is already in this branch."))
    services.party_member_leave(actor=request.user, member=member, left_on=timezone.localdate())
    services.party_member_add(
        actor=request.user,
        branch=branch,
        person=member.partner or member.resident,
        lives_here=member.lives_here,
        in_service=member.in_service,
    )


@login_required
@require_http_methods(["GET", "POST"])
def units(request):
    """The community's reporting units with each member's participation in a quarter; staff
    register a unit and an in-service member here."""
    _require_viewer(request.user)
    if request.method == "POST":
        try:
            _register(request)
        except services.PartyError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
        return redirect("party:units")
    quarter = request.GET.get("quarter") or selectors.quarter_of(timezone.localdate())
    try:
        start, end = selectors.parse_quarter(quarter)
    except ValueError as exc:
        messages.error(request, str(exc))
        quarter = selectors.quarter_of(timezone.localdate())
        start, end = selectors.parse_quarter(quarter)
    community_id = _community_id(request)
    rows = (
        selectors.unit_feedback(request.user, community_id=community_id, start=start, end=end)
        if community_id
        else []
    )
    manage = rules.can_manage(request.user, community_id)
    return render(
        request,
        "party/units.html",
        {
            "rows": rows,
            "quarter": quarter,
            "community_id": community_id,
            "communities": _communities(request.user),
            "can_manage": manage,
            "organisations": selectors.unregistered_units(community_id) if manage else [],
            "people": selectors.unregistered_party_partners(community_id) if manage else [],
        },
    )


def _register(request) -> None:
    """A unit (``organisation``) or an in-service member (``partner`` into ``unit``)."""
    if request.POST.get("unit"):
        unit = get_object_or_404(
            rules.visible(request.user, ReportingUnit.objects.all()),
            pk=_int(request.POST.get("unit")),
        )
        partner = get_object_or_404(Partner, pk=_int(request.POST.get("partner")))
        services.in_service_register(actor=request.user, unit=unit, person=partner)
        return
    community = get_object_or_404(
        rules.visible(request.user, Community.objects.all()), pk=_community_id(request) or 0
    )
    services.reporting_unit_register(
        actor=request.user,
        organisation=get_object_or_404(Organisation, pk=_int(request.POST.get("organisation"))),
        community=community,
    )


@login_required
@require_GET
def unit_feedback_export(request, fmt: str):
    """The quarterly feedback letters (为单位反馈报到表现) of a community as .xlsx or .docx."""
    _require_viewer(request.user)
    if fmt not in ("xlsx", "docx"):
        raise Http404
    community_id = _community_id(request)
    community = get_object_or_404(
        rules.visible(request.user, Community.objects.all()), pk=community_id or 0
    )
    try:
        start, end = selectors.parse_quarter(request.GET.get("quarter", ""))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("party:units")
    quarter = request.GET["quarter"].strip().upper()
    rows = selectors.unit_feedback(request.user, community_id=community.pk, start=start, end=end)
    name = f"{community.name}{quarter}双报到反馈"
    if fmt == "xlsx":
        return xlsx_response(f"{name}.xlsx", feedback.workbook(community, quarter, rows))
    response = HttpResponse(
        feedback.document(community, quarter, rows), content_type=DOCX_CONTENT_TYPE
    )
    response["Content-Disposition"] = 'attachment; filename="feedback.docx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def cadres(request):
    """The subdistrict's view of its dispatched cadres: per compound, each cadre's period,
    check-ins of the last 90 days and the tasks dispatched to them; forms to assign a cadre
    and to dispatch a hard matter to one (a whistle naming the cadre)."""
    _require_viewer(request.user)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "dispatch":
                _dispatch(request)
            else:
                _assign(request)
        except services.PartyError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
        return redirect("party:cadres")
    today = timezone.localdate()
    since = today - dt.timedelta(days=90)
    rows = selectors.cadre_rows(request.user, since=since)
    by_compound = {}
    for row in rows:
        by_compound.setdefault(row.assignment.compound, []).append(row)
    current = [
        r.assignment for r in rows if r.assignment.starts_on <= today <= r.assignment.ends_on
    ]
    return render(
        request,
        "party/cadres.html",
        {
            "by_compound": by_compound,
            "since": since,
            "current": current,
            "compounds": rules.visible(request.user, Compound.objects.select_related("community")),
            "candidates": selectors.cadre_candidates(request.user),
            "hard_matters": selectors.dispatchable_matters(request.user),
            "departments": selectors.whistle_departments(request.user),
            "today": today,
        },
    )


def _date(raw: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise services.PartyError(
            "invalid_date", _("Give the %(label)s as a date.") % {"label": label}
        ) from None


def _assign(request) -> None:
    compound = get_object_or_404(
        rules.visible(request.user, Compound.objects.select_related("community")),
        pk=_int(request.POST.get("compound")),
    )
    building_id = _int(request.POST.get("building"))
    services.cadre_assign(
        actor=request.user,
        cadre=get_object_or_404(Partner, pk=_int(request.POST.get("cadre"))),
        compound=compound,
        building=Building.objects.filter(pk=building_id).first() if building_id else None,
        starts_on=_date(request.POST.get("starts_on"), _("first day")),
        ends_on=_date(request.POST.get("ends_on"), _("last day")),
    )


def _dispatch(request) -> None:
    assignment = get_object_or_404(
        rules.visible(request.user, CadreAssignment.objects.select_related("compound", "cadre")),
        pk=_int(request.POST.get("assignment")),
    )
    matter = get_object_or_404(
        matter_rules.matters_visible(request.user, Matter.objects.all()),
        pk=_int(request.POST.get("matter")),
    )
    whistle = Organisation.objects.filter(pk__in=[_int(v) for v in request.POST.getlist("whistle")])
    services.cadre_task_dispatch(
        actor=request.user, matter=matter, assignment=assignment, whistle=list(whistle)
    )


def _int(raw) -> int:
    return int(raw) if str(raw or "").isdigit() else 0


@login_required
@require_http_methods(["GET", "POST"])
def check_in(request):
    """The cadre's phone page: one big 签到 per current assignment."""
    today = timezone.localdate()
    assignments = selectors.own_assignments(request.user, today=today)
    if request.method == "POST":
        assignment = get_object_or_404(CadreAssignment, pk=request.POST.get("assignment", "0") or 0)
        raw = request.POST.get("building", "")
        building = Building.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        try:
            done = services.cadre_check_in(
                actor=request.user,
                assignment=assignment,
                building=building,
                note=request.POST.get("note", ""),
            )
        except services.PartyError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Checked in at %(place)s, %(time)s.")
                % {
                    "place": done.building or assignment.compound,
                    "time": timezone.localtime(done.at).strftime("%H:%M"),
                },
            )
        return redirect("party:checkin")
    recent = {a.pk: list(a.checkins.order_by("-at")[:3]) for a in assignments}
    buildings = {
        a.pk: ([a.building] if a.building else list(a.compound.buildings.all()))
        for a in assignments
    }
    return render(
        request,
        "party/checkin.html",
        {
            "rows": [(a, buildings[a.pk], recent[a.pk]) for a in assignments],
            "today": today,
        },
    )

"""Pages for the visitor's phone (today's list, recording a visit) and for staff (coverage,
the care register). Every read goes through ``selectors``, every write through ``services``."""

import re
import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.audit.services import record_list
from gongzhi.core.excel import workbook_bytes, xlsx_response
from gongzhi.listing.pages import BadFilter, paginate, place_param, render_bad_filter
from gongzhi.listing.pages import place_options as place_groups
from gongzhi.partners.models import Partner
from gongzhi.pickers.selectors import PickError, options_for, resolve
from gongzhi.visits import rules, selectors, services
from gongzhi.visits.models import CareReason, VisitKind, VisitTarget
from gongzhi.visits.services import VisitError

SEARCH_LIMIT = 10


def _visitor(request: HttpRequest) -> None:
    if not rules.can_visit(request.user):
        raise PermissionDenied


@login_required
def today(request: HttpRequest) -> HttpResponse:
    _visitor(request)
    items = selectors.day_list(request.user)
    return render(
        request,
        "visits/today.html",
        {
            "items": items,
            "care_count": sum(1 for item in items if item.care),
            "can_see_coverage": rules.can_see_coverage(request.user),
            "is_staff": rules.is_staff(request.user),
        },
    )


def _households(user, q: str):
    """Households in the visiting reach matching every typed piece ("3栋502" → 3, 栋, 502)."""
    qs = rules.visit_households(user).with_place()
    for token in re.findall(r"\d+|[^\d\s]+", q)[:6]:
        qs = qs.filter(
            Q(room__contains=token)
            | Q(unit__name__contains=token)
            | Q(unit__building__name__contains=token)
            | Q(unit__building__compound__name__contains=token)
        )
    return qs.order_by("unit__building__compound__name", "unit__building__number", "pk")


def _buildings(user, q: str):
    """Buildings in the visiting reach matching every typed piece ("渔家苑 3栋")."""
    qs = rules.visit_buildings(user).select_related("compound")
    for token in re.findall(r"\d+|[^\d\s]+", q)[:6]:
        qs = qs.filter(Q(name__contains=token) | Q(compound__name__contains=token))
    return qs.order_by("compound__name", "number", "pk")


def _spots(user, q: str):
    """Public spots in the visiting reach matching every typed piece ("车棚", "东门")."""
    qs = rules.visit_spots(user).select_related("compound")
    for token in re.findall(r"\d+|[^\d\s]+", q)[:6]:
        qs = qs.filter(Q(name__contains=token) | Q(compound__name__contains=token))
    return qs.order_by("compound__name", "name", "pk")


def _place_label(obj) -> str:
    """What a visitor reads for a household, a building ("渔家苑 3栋") or a spot."""
    if hasattr(obj, "label"):
        return obj.label
    compound = getattr(obj, "compound", None)
    return f"{compound.name} {obj.name}" if compound else obj.name


SEARCHES = {
    VisitTarget.HOUSEHOLD: _households,
    VisitTarget.BUILDING: _buildings,
    VisitTarget.SPOT: _spots,
}


def _target(data) -> str:
    target = data.get("target", "")
    return target if target in SEARCHES else VisitTarget.HOUSEHOLD


@login_required
def household_search(request: HttpRequest) -> HttpResponse:
    """The type-ahead's options: a few households (buildings, spots with ``target``) as big
    radio choices (htmx fragment), only inside the visiting reach."""
    _visitor(request)
    target = _target(request.GET)
    q = request.GET.get("q", "").strip()[:40]
    found = list(SEARCHES[target](request.user, q)[:SEARCH_LIMIT]) if q else []
    rows = [(obj.pk, _place_label(obj)) for obj in found]
    return render(
        request, "visits/_household_options.html", {"rows": rows, "q": q, "target": target}
    )


def _chosen(user, data) -> dict:
    """The household, building or spot named in the form, if it is in the visiting reach."""
    reach = {
        "household": lambda: rules.visit_households(user).with_place(),
        "building": lambda: rules.visit_buildings(user).select_related("compound__community"),
        "spot": lambda: rules.visit_spots(user).select_related("compound", "community"),
    }
    chosen = {}
    for name, qs in reach.items():
        if data.get(name, "").isdigit():
            chosen[name] = qs().filter(pk=data[name]).first()
    return chosen


@login_required
def visit_new(request: HttpRequest) -> HttpResponse:
    _visitor(request)
    data = request.POST if request.method == "POST" else request.GET
    chosen = _chosen(request.user, data)
    place = next((obj for obj in chosen.values() if obj is not None), None)
    error = ""
    if request.method == "POST":
        try:
            if len(chosen) > 1:
                raise services.invalid_target()
            if chosen and place is None:
                raise services.outside_reach(next(iter(chosen)))
            visit = services.visit_record(
                actor=request.user,
                household=chosen.get("household"),
                building=chosen.get("building"),
                spot=chosen.get("spot"),
                kind=data.get("kind", ""),
                found=data.get("found", ""),
                photo=request.FILES.get("photo"),
                raise_matter=data.get("raise_matter") == "1",
                matter_text=data.get("matter_text", ""),
                client_key=data.get("client_key", ""),
            )
        except VisitError as exc:
            error = exc.message
        else:
            if visit.matter_id:
                messages.success(
                    request,
                    _("Visit recorded; matter #%(id)s reported.") % {"id": visit.matter_id},
                )
            else:
                messages.success(request, _("Visit recorded."))
            return redirect("visits:today")
    return render(
        request,
        "visits/visit_new.html",
        {
            "place": place,
            "place_field": next(iter(chosen), ""),
            "place_label": _place_label(place) if place is not None else "",
            "targets": VisitTarget.choices,
            "target": _target(data),
            "kinds": VisitKind.choices,
            "kind": data.get("kind") or VisitKind.ROUTINE,
            "data": data,
            "error": error,
            # A new key per form shown; a resend of the same form reuses it.
            "client_key": data.get("client_key") or uuid.uuid4().hex,
        },
        status=400 if error else 200,
    )


@login_required
def visit_log(request: HttpRequest) -> HttpResponse:
    _visitor(request)
    try:
        place = place_param(request)
    except BadFilter as exc:
        return render_bad_filter(request, exc)
    qs = selectors.visit_list(request.user, place=place)
    return render(
        request,
        "visits/visit_log.html",
        {"page": paginate(request, qs), "place_groups": place_groups(request.user)},
    )


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    if not rules.can_see_coverage(request.user):
        raise PermissionDenied
    try:
        place = place_param(request)
    except BadFilter as exc:
        return render_bad_filter(request, exc)
    data = selectors.coverage(request.user, place=place)
    if request.GET.get("format") == "xlsx":
        if not rules.can_export(request.user):
            raise PermissionDenied
        return _coverage_export(data)
    return render(
        request,
        "visits/coverage.html",
        {
            "data": data,
            "place_groups": place_groups(request.user),
            "can_export": rules.can_export(request.user),
        },
    )


def _coverage_export(data: dict) -> HttpResponse:
    """Counts per grid and building only: no names, no care reasons."""
    headers = [_("Level"), _("Name"), _("Households"), _("Visited in 30 days")]
    headers += [_("Visited in 90 days"), _("Never visited"), _("Coverage (90 days)")]
    rows = [
        [level, row.label, row.households, row.visited_30, row.visited_90, row.never, row.rate_90]
        for level, group in ((_("Grid"), data["grids"]), (_("Building"), data["buildings"]))
        for row in group
    ]
    day = timezone.localdate().isoformat()
    content = workbook_bytes(_("Visit coverage"), headers, rows)
    return xlsx_response(f"{_('Visit coverage')}-{day}.xlsx", content)


@login_required
def care(request: HttpRequest) -> HttpResponse:
    """The care register the user may see; reasons only where ``rules`` allow."""
    if not rules.can_visit(request.user):
        raise PermissionDenied
    try:
        place = place_param(request)
    except BadFilter as exc:
        return render_bad_filter(request, exc)
    qs = selectors.care_list(request.user, place=place)
    page = paginate(request, qs)
    # Care reasons are sensitive personal data: who saw how many of them is on the audit trail.
    record_list(request, "care_subjects", reasons_shown=selectors.reasons_shown(page))
    return render(
        request,
        "visits/care.html",
        {
            "page": page,
            "place_groups": place_groups(request.user),
            "today": timezone.localdate(),
            "can_manage": rules.can_manage_care(request.user),
        },
    )


def _visitor_accounts(picked: list) -> list:
    """Picked users as they are; picked partners as their own accounts (visitors are users)."""
    User = get_user_model()
    partners = [obj for obj in picked if isinstance(obj, Partner)]
    accounts = {
        user.profile.partner_id: user
        for user in User.objects.filter(profile__partner__in=partners).select_related("profile")
    }
    users = []
    for obj in picked:
        if isinstance(obj, Partner):
            if obj.pk not in accounts:
                raise PickError(_("%(name)s has no account to be a visitor.") % {"name": obj.name})
            users.append(accounts[obj.pk])
        else:
            users.append(obj)
    return users


@login_required
def care_new(request: HttpRequest) -> HttpResponse:
    """Put a resident on the care register (community staff): resident and visitors chosen with
    the type-ahead picker, the reason from the list, the frequency in days."""
    if not rules.can_manage_care(request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else {}
    error, picked_resident, picked_visitors = "", [], []
    if request.method == "POST":
        try:
            picked_resident = resolve(request.user, data.getlist("resident")[:1], ["resident"])
            picked_visitors = resolve(request.user, data.getlist("visitors"), ["user", "partner"])
            if not picked_resident:
                raise VisitError("invalid_resident", _("Choose the person to register."))
            services.care_subject_create(
                actor=request.user,
                resident=picked_resident[0],
                reason=data.get("reason", ""),
                frequency_days=data.get("frequency_days", ""),
                visitors=_visitor_accounts(picked_visitors),
                note=data.get("note", ""),
            )
        except (PickError, VisitError) as exc:
            error = exc.message
        else:
            messages.success(request, _("Registered on the care register."))
            return redirect("visits:care")
    return render(
        request,
        "visits/care_new.html",
        {
            "reasons": CareReason.choices,
            "data": data,
            "error": error,
            "resident_initial": options_for(picked_resident),
            "visitors_initial": options_for(picked_visitors),
        },
        status=400 if error else 200,
    )

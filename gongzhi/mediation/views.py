"""Mediation pages: the case list (with its Excel export), a case page redacted for the
viewer, the actions, and the "open a mediation case" button of a dispute matter.

Every case is fetched through ``selectors.case_for`` (or ``case_views`` for lists), and every
POST calls one service and shows its ``MediationError`` message without changing anything.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.audit.services import record_export
from gongzhi.core.excel import xlsx_response
from gongzhi.listing.pages import (
    BadFilter,
    choice_param,
    paginate,
    place_param,
    render_bad_filter,
)
from gongzhi.listing.pages import place_options as place_groups
from gongzhi.matters.selectors import matter_list
from gongzhi.mediation import rules, selectors, services
from gongzhi.mediation.excel import cases_export
from gongzhi.mediation.forms import CaseForm, FollowUpForm, OutcomeForm, SessionForm
from gongzhi.mediation.models import CaseKind, CaseStatus, FollowUp
from gongzhi.mediation.services import MediationError
from gongzhi.pickers.selectors import PickError, options_for, resolve
from gongzhi.places.models import Building, Compound


def _community_id(user) -> int | None:
    profile = getattr(user, "profile", None)
    return profile.community_id_resolved if profile is not None else None


@login_required
def case_list_view(request: HttpRequest) -> HttpResponse:
    try:
        qs = selectors.case_list(
            request.user,
            place=place_param(request),
            kind=choice_param(request, "kind", CaseKind),
            status=choice_param(request, "status", CaseStatus),
        )
    except BadFilter as error:
        return render_bad_filter(request, error)
    if request.GET.get("format") == "xlsx":
        content = cases_export(request.user, qs)
        record_export(request, "mediation:list", rows=qs.count())
        return xlsx_response("mediation-cases.xlsx", content)
    page = paginate(request, qs)
    community_id = _community_id(request.user)
    return render(
        request,
        "mediation/case_list.html",
        {
            "page": page,
            "rows": selectors.case_views(request.user, page.object_list),
            "place_groups": place_groups(request.user),
            "kinds": CaseKind.choices,
            "statuses": CaseStatus.choices,
            "can_open": community_id is not None and rules.can_open(request.user, community_id),
        },
    )


def _place_choices(community_id: int) -> list[tuple[str, str]]:
    choices = [(f"community:{community_id}", _("the whole community"))]
    for compound in Compound.objects.filter(community_id=community_id).order_by("name"):
        choices.append((f"compound:{compound.pk}", compound.name))
    for building in Building.objects.filter(compound__community_id=community_id).select_related(
        "compound"
    ):
        choices.append((f"building:{building.pk}", str(building)))
    return choices


def _place_from(value: str, community_id: int):
    level, _sep, pk = value.partition(":")
    if level == "community":
        from gongzhi.places.models import Community

        return Community.objects.get(pk=community_id)
    if level == "compound":
        return Compound.objects.get(pk=int(pk), community_id=community_id)
    return Building.objects.select_related("compound__community").get(
        pk=int(pk), compound__community_id=community_id
    )


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    community_id = _community_id(request.user)
    if community_id is None or not rules.can_open(request.user, community_id):
        raise PermissionDenied
    places = _place_choices(community_id)
    form = CaseForm(request.POST or None, places=places)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_open(
                actor=request.user,
                kind=data["kind"],
                description=data["description"],
                place=_place_from(data["place"], community_id),
                names=data["parties"].splitlines(),
            )
        except MediationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Mediation case #%(id)s opened.") % {"id": case.pk})
            return redirect("mediation:detail", case.pk)
    return render(
        request, "mediation/case_new.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def open_from_matter(request: HttpRequest, matter_pk: int) -> HttpResponse:
    matter = matter_list(request.user).filter(pk=matter_pk).first()
    if matter is None:
        raise Http404
    kind = request.POST.get("kind", CaseKind.NEIGHBOUR)
    try:
        case = services.case_open_from_matter(actor=request.user, matter=matter, kind=kind)
    except MediationError as exc:
        messages.error(request, exc.message)
        return redirect("matters:detail", matter.pk)
    messages.success(request, _("Mediation case #%(id)s opened.") % {"id": case.pk})
    return redirect("mediation:detail", case.pk)


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_for(request.user, pk)
    case = selectors.with_details(selectors.case_list(request.user)).get(pk=pk)
    view = selectors.case_view(case, access.level, with_records=True)
    context = {"case": view, "access": access.level}
    if access.full and case.is_open:
        context.update(
            session_form=SessionForm()
            if case.status in (CaseStatus.OPEN, CaseStatus.MEDIATING)
            else None,
            outcome_form=OutcomeForm() if case.status == CaseStatus.MEDIATING else None,
            follow_up_open=case.status == CaseStatus.FOLLOWING_UP,
        )
        if rules.can_manage(request.user, case):
            # Pickers, not lists: a community has hundreds of partners (docs/pickers.md).
            context["can_manage"] = True
            context["case_community_id"] = case.community_id
            context["mediators_initial"] = options_for(case.mediators.all())
    return render(request, "mediation/case_detail.html", context)


def _act_session(request, case):
    form = SessionForm(request.POST)
    if not form.is_valid():
        raise MediationError("notes_required", _("Write the notes of the session."))
    services.case_add_session(actor=request.user, case=case, notes=form.cleaned_data["notes"])
    return _("Session recorded.")


def _act_outcome(request, case):
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        raise MediationError(
            "invalid_outcome", _("Choose agreement reached, partly agreed or failed.")
        )
    services.case_record_outcome(actor=request.user, case=case, **form.cleaned_data)
    return _("Outcome recorded.")


def _act_follow_up(request, case):
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        raise MediationError("held_required", _("Say whether the agreement held."))
    follow_up = FollowUp.objects.filter(pk=form.cleaned_data["follow_up"], case=case).first()
    if follow_up is None:
        raise MediationError("invalid_follow_up", _("This visit does not belong to the case."))
    services.case_record_follow_up(
        actor=request.user,
        case=case,
        follow_up=follow_up,
        held=form.cleaned_data["held"],
        notes=form.cleaned_data["notes"],
    )
    return _("Follow-up visit recorded.")


def _picked(request, case, name: str, kinds: list[str], **kwargs) -> list:
    try:
        return resolve(
            request.user,
            request.POST.getlist(name),
            kinds,
            community=case.community_id,
            **kwargs,
        )
    except PickError as error:
        raise MediationError("invalid_choice", error.message) from None


def _act_mediators(request, case):
    partners = _picked(request, case, "mediators", ["partner"], only="mediators")
    services.case_set_mediators(actor=request.user, case=case, mediators=partners)
    return _("Mediators saved.")


def _act_authorise(request, case):
    users = _picked(request, case, "user", ["user"])
    if len(users) != 1:
        raise MediationError("invalid_staff", _("Choose one staff member of this community."))
    services.case_authorise_staff(actor=request.user, case=case, user=users[0])
    return _("Staff member authorised.")


ACTIONS = {
    "session": _act_session,
    "outcome": _act_outcome,
    "follow-up": _act_follow_up,
    "mediators": _act_mediators,
    "authorise": _act_authorise,
}


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    access = selectors.case_for(request.user, pk)
    try:
        messages.success(request, handler(request, access.case))
    except MediationError as exc:
        messages.error(request, exc.message)
        return redirect("mediation:detail", pk)
    return redirect("mediation:detail", pk)

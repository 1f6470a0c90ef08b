"""Volunteer service pages: activities (record and confirm participants), my service record,
the printable certificate, the records list and the claims queue with publicity. Lists go
through ``render_list`` (place filter, htmx partial, ``?format=xlsx``); every POST calls one
service and shows its ``VolunteeringError``."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.accounts.scope import directory_reach, is_staff_like, restrict
from gongzhi.listing.pages import choice_param, place_param, render_list, text_param
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.people.models import Resident
from gongzhi.pickers.selectors import PickError, resolve
from gongzhi.volunteering import rules, selectors, services
from gongzhi.volunteering.excel import activities_export, claims_export, records_export
from gongzhi.volunteering.models import (
    ActivityKind,
    ClaimStatus,
    PointsClaim,
    RecordStatus,
    person_q,
)
from gongzhi.volunteering.services import VolunteeringError


def _activity(user, pk: int):
    activity = selectors.activity_list(user).filter(pk=pk).first()
    if activity is None:
        raise Http404
    return activity


def _minutes(value: str) -> int:
    """Minutes from a form field that holds hours ("1.5") — 0 when unreadable, which the
    service refuses with its own message."""
    try:
        return round(float(value) * 60)
    except (TypeError, ValueError):
        return 0


@login_required
def activity_list_view(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        rows=lambda: selectors.activity_list(
            request.user,
            place=place_param(request),
            kind=choice_param(request, "kind", ActivityKind),
            q=text_param(request, "q"),
        ),
        template="volunteering/activities.html",
        partial="volunteering/_activity_rows.html",
        export=activities_export,
        filename="志愿服务活动.xlsx",
        context={"kinds": ActivityKind.choices},
    )


def _organisers(user):
    reach = directory_reach(user)
    teams = restrict(Team.objects.all(), reach)
    orgs = restrict(Organisation.objects.exclude(community=None), reach)
    return teams, orgs


@login_required
def activity_new(request: HttpRequest) -> HttpResponse:
    teams, orgs = _organisers(request.user)
    context = {"teams": teams, "orgs": orgs, "kinds": ActivityKind.choices, "form": request.POST}
    if request.method == "POST":
        organiser_value = request.POST.get("organiser", "")
        kind, _sep, raw = organiser_value.partition(":")
        organiser = None
        if raw.isdigit():
            organiser = (
                (teams if kind == "team" else orgs if kind == "org" else Team.objects.none())
                .filter(pk=int(raw))
                .first()
            )
        try:
            date = dt.date.fromisoformat(request.POST.get("date", ""))
        except ValueError:
            date = None
        try:
            activity = services.activity_create(
                title=request.POST.get("title", ""),
                kind=request.POST.get("kind", ""),
                organiser=organiser,
                actor=request.user,
                date=date,
            )
        except VolunteeringError as exc:
            context["error"] = exc.message
        else:
            messages.success(request, _("Activity created: now record the participants."))
            return redirect("volunteering:detail", pk=activity.pk)
    context.setdefault("today", timezone.localdate().isoformat())
    return render(
        request,
        "volunteering/activity_form.html",
        context,
        status=400 if "error" in context else 200,
    )


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request.user, pk)
    organiser = rules.is_organiser(request.user, activity)
    records = selectors.record_list(request.user).filter(activity=activity)
    return render(
        request,
        "volunteering/activity_detail.html",
        {
            "activity": activity,
            "records": records.select_related("claim"),
            "is_organiser": organiser,
            "claimable": not records.filter(rules.own_q(request.user)).exists()
            and rules.person_of(request.user) is not None,
        },
    )


VOLUNTEER_KINDS = ["partner", "resident", "team_members", "building_partners"]


def _participants(request, activity) -> list:
    """Who the form records: the user themself ("I took part"), or the volunteers chosen in
    the picker (a team or a building expands to its partners)."""
    if request.POST.get("partner") == "me":
        person = rules.person_of(request.user)
        return [person] if person is not None else []
    try:
        return resolve(
            request.user,
            request.POST.getlist("volunteers"),
            VOLUNTEER_KINDS,
            community=activity.community_id,
        )
    except PickError as error:
        raise VolunteeringError("invalid_participant", error.message) from None


@login_required
@require_POST
def record_add(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request.user, pk)
    try:
        records = services.service_records_add_batch(
            activity=activity,
            participants=_participants(request, activity),
            minutes=_minutes(request.POST.get("hours")),
            actor=request.user,
            confirm=bool(request.POST.get("confirm"))
            and rules.is_organiser(request.user, activity),
        )
    except VolunteeringError as exc:
        messages.error(request, exc.message)
    else:
        names = "、".join(record.person_name for record in records[:5])
        if len(records) > 5:
            names += _(" and %(n)s more") % {"n": len(records) - 5}
        messages.success(request, _("Recorded: %(name)s.") % {"name": names})
    return redirect("volunteering:detail", pk=pk)


@login_required
@require_POST
def record_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    record = selectors.record_list(request.user).filter(pk=pk).first()
    if record is None:
        raise Http404
    try:
        if action == "confirm":
            services.service_record_confirm(record=record, actor=request.user)
            messages.success(request, _("Confirmed: the points claim is filed for review."))
        elif action == "amend":
            services.service_record_amend(
                record=record,
                minutes=_minutes(request.POST.get("hours")),
                reason=request.POST.get("reason", ""),
                actor=request.user,
            )
            messages.success(request, _("Amended; the change is on record."))
        elif action == "revoke":
            services.service_record_revoke(
                record=record, reason=request.POST.get("reason", ""), actor=request.user
            )
            messages.success(request, _("Revoked."))
        else:
            raise Http404
    except VolunteeringError as exc:
        messages.error(request, exc.message)
    return redirect("volunteering:detail", pk=record.activity_id)


@login_required
def record_list_view(request: HttpRequest) -> HttpResponse:
    if not is_staff_like(request.user):
        raise PermissionDenied
    return render_list(
        request,
        rows=lambda: selectors.record_list(
            request.user,
            place=place_param(request),
            status=choice_param(request, "status", RecordStatus),
            q=text_param(request, "q"),
        ),
        template="volunteering/records.html",
        partial="volunteering/_record_rows.html",
        export=records_export,
        filename="志愿服务记录.xlsx",
        context={"statuses": RecordStatus.choices},
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    person = rules.person_of(request.user)
    context = {"person": person}
    if person is not None:
        context["summary"] = selectors.service_summary(person)
        context["records"] = selectors.person_records(person)[:50]
    return render(request, "volunteering/mine.html", context)


def _person_from_key(user, key: str):
    """A person by "r<id>" (resident) or "p<id>" (partner without a resident record): the user
    themselves, or someone whose records the user may see."""
    kind, raw = key[:1], key[1:]
    if kind not in ("r", "p") or not raw.isdigit():
        raise Http404
    model = Resident if kind == "r" else Partner
    person = model.objects.filter(pk=int(raw)).first()
    if person is None:
        raise Http404
    if rules.can_claim_for(user, person):
        return person
    visible = selectors.record_list(user).filter(person_q(person))
    if not is_staff_like(user) or not visible.exists():
        raise Http404
    return person


@login_required
def certificate(request: HttpRequest, key: str = "") -> HttpResponse:
    person = _person_from_key(request.user, key) if key else rules.person_of(request.user)
    if person is None:
        raise Http404
    records = selectors.person_records(person).filter(status=RecordStatus.APPROVED)
    first = records.select_related("activity__community__subdistrict").first()
    community = first.activity.community if first else None
    return render(
        request,
        "volunteering/certificate.html",
        {
            "person": person,
            "id_masked": person.id_number_masked if isinstance(person, Resident) else "",
            "summary": selectors.service_summary(person),
            "records": records,
            "community": community,
            "issuer": _("%(community)s residents' committee") % {"community": community.name}
            if community
            else "",
            "today": timezone.localdate(),
        },
    )


def _reviews_claims(user) -> bool:
    """Whether the claims list offers batch approval: reviewers of the user's own community."""
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    if user.is_superuser:
        return True
    return profile is not None and rules.can_review(user, profile.community_id_resolved)


@login_required
def claim_list_view(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        rows=lambda: selectors.claim_list(
            request.user,
            place=place_param(request),
            status=choice_param(request, "status", ClaimStatus),
            q=text_param(request, "q"),
        ),
        template="volunteering/claims.html",
        partial="volunteering/_claim_rows.html",
        export=claims_export,
        filename="积分申请.xlsx",
        context={
            "statuses": ClaimStatus.choices,
            "now": timezone.now(),
            "can_review": _reviews_claims(request.user),
        },
    )


@login_required
@require_POST
def claims_approve(request: HttpRequest) -> HttpResponse:
    """Approve the claims ticked on one page of the list (at most one page: 20)."""
    ids = [int(v) for v in request.POST.getlist("claim") if v.isdigit()]
    found = selectors.claim_list(request.user).filter(pk__in=ids)
    claims = list(PointsClaim.objects.filter(pk__in=found.values("pk")).order_by("pk"))
    try:
        if len(claims) != len(set(ids)):
            raise VolunteeringError("invalid_claim", _("A chosen claim is not within your reach."))
        approved = services.points_claims_approve_batch(claims=claims, actor=request.user)
    except VolunteeringError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Approved %(n)s claims: they are publicised.") % {"n": len(approved)}
        )
    target = request.POST.get("next", "")
    return redirect(
        target if target.startswith("/") and not target.startswith("//") else "volunteering:claims"
    )


CLAIM_ACTIONS = {
    "approve": (services.points_claim_approve, False, _("Approved: the claim is publicised.")),
    "issue": (services.points_claim_issue, False, _("Points issued.")),
    "reject": (services.points_claim_reject, True, _("Claim rejected.")),
    "object": (services.points_claim_object, True, _("Objection recorded; staff will check.")),
    "dismiss": (services.points_claim_dismiss_objection, True, _("Objection dismissed.")),
}


@login_required
@require_POST
def claim_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    claim = selectors.claim_list(request.user).filter(pk=pk).first()
    if claim is None or action not in CLAIM_ACTIONS:
        raise Http404
    service, needs_reason, done = CLAIM_ACTIONS[action]
    kwargs = {"reason": request.POST.get("reason", "")} if needs_reason else {}
    try:
        service(claim=PointsClaim.objects.get(pk=claim.pk), actor=request.user, **kwargs)
    except VolunteeringError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(done))
    target = request.POST.get("next", "")
    return redirect(
        target if target.startswith("/") and not target.startswith("//") else "volunteering:claims"
    )

"""Honours pages: elections (staff run them, residents vote on a phone), honour rolls with a
printable poster, verifying residents and the talent pool. Every POST calls one service and
shows its ``HonoursError``; reads go through ``selectors`` (scope from ``rules.py``)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.accounts.scope import is_staff_like, registry_reach, restrict
from gongzhi.core.files import private_file
from gongzhi.honours import rules, selectors, services
from gongzhi.honours.models import (
    Candidate,
    Election,
    ElectionStatus,
    GoodPersonCategory,
    HonourRoll,
    HonourRule,
    Metric,
    Objection,
    Period,
    RecommendLevel,
    RecommendOutcome,
    RollStatus,
    TalentProfile,
    VerificationMethod,
)
from gongzhi.honours.services import HonoursError
from gongzhi.listing.pages import paginate, place_param, text_param
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Community


def _int(value, default=None):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _run(request: HttpRequest, service, success: str, **kwargs):
    """Call a service; show its refusal or ``success`` as a message."""
    try:
        result = service(**kwargs)
    except HonoursError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success)
    return result


def _managed_community(user) -> Community:
    community_id = rules.community_of(user)
    if community_id is None or not rules.can_manage(user, community_id):
        raise PermissionDenied
    return Community.objects.get(pk=community_id)


def _election(user, pk: int) -> Election:
    election = selectors.election_list(user).filter(pk=pk).first()
    if election is None:
        raise Http404
    return election


# ---- elections ----------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    elections = selectors.election_list(request.user)
    rolls = selectors.roll_list(request.user, status=RollStatus.PUBLISHED)[:12]
    community_id = rules.community_of(request.user)
    return render(
        request,
        "honours/home.html",
        {
            "elections": elections,
            "rolls": rolls,
            "can_manage": community_id is not None and rules.can_manage(request.user, community_id),
            "is_staff_like": is_staff_like(request.user),
        },
    )


@login_required
def election_new(request: HttpRequest) -> HttpResponse:
    community = _managed_community(request.user)
    if request.method == "POST":
        election = _run(
            request,
            services.election_create,
            _("Election created: nominations are open."),
            community=community,
            title=request.POST.get("title", ""),
            max_choices=_int(request.POST.get("max_choices")),
            seats=_int(request.POST.get("seats")),
            vote_from=_date(request.POST.get("vote_from", "")),
            vote_to=_date(request.POST.get("vote_to", "")),
            vote_weight=_int(request.POST.get("vote_weight"), 40),
            publicity_days=_int(request.POST.get("publicity_days"), 5),
            actor=request.user,
        )
        if election is not None:
            return redirect("honours:election", election.pk)
    return render(request, "honours/election_form.html", {"community": community})


@login_required
def election_detail(request: HttpRequest, pk: int) -> HttpResponse:
    election = _election(request.user, pk)
    can_manage = rules.can_manage(request.user, election.community_id)
    candidates = election.candidates.all() if can_manage else selectors.ballot_candidates(election)
    resident = rules.voter_of(request.user)
    context = {
        "election": election,
        "candidates": candidates,
        "categories": GoodPersonCategory.choices,
        "can_manage": can_manage,
        "can_nominate": election.status == ElectionStatus.NOMINATION
        and rules.can_nominate(request.user, election),
        "voter": resident,
        "has_voted": resident is not None and selectors.has_voted(election, resident),
        "is_verified": resident is not None and selectors.is_verified(resident),
        "vote_open": election.status == ElectionStatus.VOTING
        and election.vote_from <= timezone.localdate() <= election.vote_to,
        "results": selectors.results(election)
        if rules.can_see_results(request.user, election)
        else None,
        "turnout": selectors.turnout(election) if can_manage else None,
        "objections": election.objections.select_related("candidate") if can_manage else None,
    }
    return render(request, "honours/election_detail.html", context)


ACTIONS = {
    "start_screening": (services.election_start_screening, _("Nominations closed: screening.")),
    "open_voting": (services.election_open_voting, _("Voting is open.")),
    "close_voting": (services.election_close_voting, _("Voting closed; the votes are counted.")),
    "start_publicity": (
        services.election_start_publicity,
        _("The results are up for publicity and objections."),
    ),
    "publish": (services.election_publish, _("Published.")),
}


@login_required
@require_POST
def election_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    election = _election(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    service, success = ACTIONS[action]
    _run(request, service, success, election=election, actor=request.user)
    return redirect("honours:election", pk)


@login_required
@require_POST
def nominate(request: HttpRequest, pk: int) -> HttpResponse:
    election = _election(request.user, pk)
    _run(
        request,
        services.candidate_nominate,
        _("Nomination received."),
        election=election,
        name=request.POST.get("name", ""),
        category=request.POST.get("category", ""),
        deeds=request.POST.get("deeds", ""),
        actor=request.user,
    )
    return redirect("honours:election", pk)


def _candidate(user, pk: int) -> Candidate:
    candidate = Candidate.objects.select_related("election").filter(pk=pk).first()
    if candidate is None or not selectors.election_list(user).filter(pk=candidate.election_id):
        raise Http404
    return candidate


@login_required
@require_POST
def screen(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request.user, pk)
    _run(
        request,
        services.candidate_screen,
        _("Screening recorded."),
        candidate=candidate,
        accepted=request.POST.get("accepted") == "1",
        note=request.POST.get("note", ""),
        actor=request.user,
    )
    return redirect("honours:election", candidate.election_id)


@login_required
@require_POST
def assess(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request.user, pk)
    _run(
        request,
        services.candidate_assess,
        _("Score recorded."),
        candidate=candidate,
        committee_score=_int(request.POST.get("score")),
        actor=request.user,
    )
    return redirect("honours:election", candidate.election_id)


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    election = _election(request.user, pk)
    _run(
        request,
        services.election_vote,
        _("Thank you: your vote is in the ballot box. Nobody can see whom you chose."),
        election=election,
        actor=request.user,
        choices=request.POST.getlist("choice"),
    )
    return redirect("honours:election", pk)


@login_required
@require_POST
def object_to(request: HttpRequest, pk: int) -> HttpResponse:
    election = _election(request.user, pk)
    candidate = election.candidates.filter(pk=_int(request.POST.get("candidate"), 0)).first()
    _run(
        request,
        services.objection_raise,
        _("Objection received; the committee will look into it."),
        election=election,
        candidate=candidate,
        text=request.POST.get("text", ""),
        anonymous=request.POST.get("anonymous") == "1",
        actor=request.user,
    )
    return redirect("honours:election", pk)


@login_required
@require_POST
def handle_objection(request: HttpRequest, pk: int) -> HttpResponse:
    objection = Objection.objects.filter(pk=pk).first()
    if objection is None:
        raise Http404
    election = _election(request.user, objection.election_id)
    _run(
        request,
        services.objection_handle,
        _("Objection handled."),
        objection=objection,
        upheld=request.POST.get("upheld") == "1",
        outcome=request.POST.get("outcome", ""),
        actor=request.user,
    )
    return redirect("honours:election", election.pk)


# ---- verifying residents ------------------------------------------------------------------


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    community = _managed_community(request.user)
    if request.method == "POST":
        resident = (
            restrict(Resident.objects.all(), registry_reach(request.user))
            .filter(pk=_int(request.POST.get("resident"), 0))
            .first()
        )
        if resident is None:
            raise Http404
        _run(
            request,
            services.resident_verify,
            _("%(name)s is verified.") % {"name": resident.name},
            resident=resident,
            method=request.POST.get("method", ""),
            actor=request.user,
        )
        return redirect(request.get_full_path())
    text = text_param(request, "q")
    found = []
    if text:
        found = (
            restrict(Resident.objects.with_place(), registry_reach(request.user))
            .filter(name__contains=text, verification__isnull=True)
            .order_by("name", "id")[:20]
        )
    return render(
        request,
        "honours/verify.html",
        {
            "community": community,
            "q": text,
            "found": found,
            "methods": VerificationMethod.choices,
            "page": paginate(request, selectors.verification_list(request.user)),
            "count": selectors.verified_residents(community.pk).count(),
        },
    )


# ---- honour rolls -------------------------------------------------------------------------


@login_required
def rolls(request: HttpRequest) -> HttpResponse:
    community_id = rules.community_of(request.user)
    can_manage = community_id is not None and rules.can_manage(request.user, community_id)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if request.POST.get("form") == "rule":
            _run(
                request,
                services.rule_create,
                _("Rule saved."),
                community=Community.objects.get(pk=community_id),
                name=request.POST.get("name", ""),
                period=request.POST.get("period", ""),
                metric=request.POST.get("metric", ""),
                top_n=_int(request.POST.get("top_n")),
                minimum=_int(request.POST.get("minimum")),
                actor=request.user,
            )
            return redirect("honours:rolls")
        rule = HonourRule.objects.filter(
            pk=_int(request.POST.get("rule"), 0), community=community_id
        ).first()
        if rule is None:
            raise Http404
        roll = _run(
            request,
            services.roll_build,
            _("Draft built: check it, then publish."),
            rule=rule,
            day=_date(request.POST.get("day", "")),
            actor=request.user,
        )
        return redirect("honours:roll", roll.pk) if roll else redirect("honours:rolls")
    return render(
        request,
        "honours/rolls.html",
        {
            "page": paginate(
                request, selectors.roll_list(request.user, place=place_param(request))
            ),
            "can_manage": can_manage,
            "rules": HonourRule.objects.filter(community=community_id) if can_manage else [],
            "periods": Period.choices,
            "metrics": Metric.choices,
            "today": timezone.localdate(),
        },
    )


def _roll(user, pk: int) -> HonourRoll:
    roll = selectors.roll_list(user).filter(pk=pk).first()
    if roll is None:
        raise Http404
    return roll


@login_required
def roll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roll = _roll(request.user, pk)
    return render(
        request,
        "honours/roll_detail.html",
        {"roll": roll, "can_manage": rules.can_manage(request.user, roll.community_id)},
    )


@login_required
def roll_poster(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "honours/poster.html", {"roll": _roll(request.user, pk)})


@login_required
@require_POST
def roll_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    roll = _roll(request.user, pk)
    if action == "publish":
        _run(
            request,
            services.roll_publish,
            _("The honour roll is published."),
            roll=roll,
            actor=request.user,
        )
        return redirect("honours:roll", pk)
    if action == "discard":
        _run(request, services.roll_discard, _("Draft deleted."), roll=roll, actor=request.user)
        return redirect("honours:rolls")
    raise Http404


# ---- talent pool --------------------------------------------------------------------------


@login_required
def talent(request: HttpRequest) -> HttpResponse:
    if not is_staff_like(request.user):
        raise PermissionDenied
    community_id = rules.community_of(request.user)
    can_manage = community_id is not None and rules.can_manage(request.user, community_id)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        kind, _sep, raw = request.POST.get("person", "").partition(":")
        person_id = _int(raw, 0)
        resident = Resident.objects.filter(pk=person_id).first() if kind == "r" else None
        partner = Partner.objects.filter(pk=person_id).first() if kind == "p" else None
        profile = _run(
            request,
            services.talent_add,
            _("Added to the talent pool."),
            community=Community.objects.get(pk=community_id),
            resident=resident,
            partner=partner,
            field=request.POST.get("field", ""),
            skills=request.POST.get("skills", ""),
            story=request.POST.get("story", ""),
            actor=request.user,
        )
        return (
            redirect("honours:talent_detail", profile.pk) if profile else redirect("honours:talent")
        )
    text = text_param(request, "q")
    return render(
        request,
        "honours/talent.html",
        {
            "page": paginate(
                request,
                selectors.talent_list(request.user, place=place_param(request), text=text),
            ),
            "q": text,
            "can_manage": can_manage,
            "partners": Partner.objects.active().filter(community=community_id)
            if can_manage
            else [],
        },
    )


def _profile(user, pk: int) -> TalentProfile:
    profile = selectors.talent_list(user).filter(pk=pk).first()
    if profile is None:
        raise Http404
    return profile


@login_required
def talent_detail(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _profile(request.user, pk)
    can_manage = rules.can_manage(request.user, profile.community_id)
    if request.method == "POST":
        if request.POST.get("form") == "outcome":
            recommendation = profile.recommendations.filter(
                pk=_int(request.POST.get("recommendation"), 0)
            ).first()
            if recommendation is None:
                raise Http404
            _run(
                request,
                services.recommendation_decide,
                _("Outcome recorded."),
                recommendation=recommendation,
                outcome=request.POST.get("outcome", ""),
                actor=request.user,
            )
        else:
            _run(
                request,
                services.talent_recommend,
                _("Recommendation recorded."),
                profile=profile,
                level=request.POST.get("level", ""),
                year=_int(request.POST.get("year")),
                note=request.POST.get("note", ""),
                actor=request.user,
            )
        return redirect("honours:talent_detail", pk)
    return render(
        request,
        "honours/talent_detail.html",
        {
            "profile": profile,
            "recommendations": profile.recommendations.all(),
            "can_manage": can_manage,
            "levels": RecommendLevel.choices,
            "outcomes": [
                (RecommendOutcome.AWARDED.value, RecommendOutcome.AWARDED.label),
                (RecommendOutcome.NOT_AWARDED.value, RecommendOutcome.NOT_AWARDED.label),
            ],
            "year": timezone.localdate().year,
        },
    )


@login_required
def talent_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A talent profile's photo, for those who may see the profile."""
    return private_file(_profile(request.user, pk).photo)

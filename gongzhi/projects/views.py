"""Project and wish-board pages: thin views over ``selectors`` (reads) and ``services`` (writes).

A refused write shows the service's translated message and changes nothing.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.core.files import private_file
from gongzhi.listing.pages import BadFilter, choice_param, place_param, render_list, text_param
from gongzhi.partners.models import Partner
from gongzhi.places.models import Building, Compound
from gongzhi.projects import rules, selectors, services
from gongzhi.projects.excel import projects_export
from gongzhi.projects.models import (
    Kind,
    Project,
    Stage,
    SupervisionPhoto,
    VoteChoice,
    WishCategory,
    WishStatus,
)
from gongzhi.projects.services import ProjectError


def _project(request: HttpRequest, pk: int) -> Project:
    project = rules.projects_visible(request.user).filter(pk=pk).first()
    if project is None:
        raise Http404
    return project


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    def rows():
        return selectors.project_list(
            request.user,
            place=place_param(request),
            kind=choice_param(request, "kind", Kind),
            stage=choice_param(request, "stage", Stage),
            q=text_param(request, "q"),
        )

    profile = getattr(request.user, "profile", None)
    community_id = profile.community_id_resolved if profile else None
    return render_list(
        request,
        rows=rows,
        template="projects/project_list.html",
        partial="projects/_project_rows.html",
        export=projects_export,
        filename="微项目.xlsx",
        context={
            "kinds": Kind.choices,
            "stages": Stage.choices,
            "can_propose": community_id is not None
            and rules.can_propose(request.user, community_id),
        },
    )


def _summary(project: Project) -> dict:
    return services.rating_summary(project.ratings.all())


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    user = request.user
    context = {
        "project": project,
        "tally": services.tally(project),
        "ratings": _summary(project),
        "events": project.events.select_related("actor"),
        "logs": project.logs.prefetch_related("photos"),
        "co_building": project.co_building.all(),
        "votes": project.votes.exclude(comment="")[:50],
        "comments": project.ratings.exclude(comment="")[:50],
        "is_manager": rules.is_manager(user, project),
        "can_supervise": rules.can_supervise(user, project),
        "voter": rules.voter(user, project),
        "Stage": Stage,
    }
    if context["is_manager"] and project.stage in {Stage.IN_PROGRESS, Stage.COMPLETED}:
        context["co_builders"] = rules.residents_in_scope(project).order_by("id")[:200]
    return render(request, "projects/project_detail.html", context)


ACTIONS = {
    "open_pre_evaluation": services.project_open_pre_evaluation,
    "start": services.project_start,
    "complete": services.project_complete,
    "open_post_evaluation": services.project_open_post_evaluation,
    "close": services.project_close,
}


@login_required
@require_POST
def project_action(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    action = request.POST.get("action", "")
    try:
        if action in ACTIONS:
            ACTIONS[action](actor=request.user, project=project)
        elif action in {"approve", "reject"}:
            services.project_decide(
                actor=request.user,
                project=project,
                approve=action == "approve",
                reasoning=request.POST.get("reasoning", ""),
            )
        elif action == "co_building":
            ids = [int(v) for v in request.POST.getlist("residents") if v.isdigit()]
            people = list(rules.residents_in_scope(project).filter(pk__in=ids))
            services.project_record_co_building(
                actor=request.user,
                project=project,
                participants=people,
                minutes=request.POST.get("minutes"),
                date=_date(request.POST.get("date")),
                note=request.POST.get("note", ""),
            )
        else:
            raise ProjectError("unknown_action", _("Unknown action."))
    except ProjectError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("projects:detail", pk=project.pk)


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise ProjectError("invalid_date", _("Give a date as YYYY-MM-DD.")) from None


@login_required
@require_http_methods(["GET", "POST"])
def project_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident's pre-evaluation page (phone-friendly)."""
    project = _project(request, pk)
    error = None
    if request.method == "POST":
        try:
            services.project_vote(
                actor=request.user,
                project=project,
                choice=request.POST.get("choice", ""),
                comment=request.POST.get("comment", ""),
            )
        except ProjectError as exc:
            error = exc.message
        else:
            messages.success(request, _("Thank you: your vote is recorded."))
            return redirect("projects:detail", pk=project.pk)
    voter = rules.voter(request.user, project)
    mine = project.votes.filter(resident=voter).first() if voter else None
    return render(
        request,
        "projects/vote.html",
        {"project": project, "error": error, "mine": mine, "choices": VoteChoice.choices},
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_rate(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident's post-evaluation page (phone-friendly)."""
    project = _project(request, pk)
    error = None
    if request.method == "POST":
        try:
            services.project_rate(
                actor=request.user,
                project=project,
                score=request.POST.get("score", ""),
                comment=request.POST.get("comment", ""),
            )
        except ProjectError as exc:
            error = exc.message
        else:
            messages.success(request, _("Thank you: your rating is recorded."))
            return redirect("projects:detail", pk=project.pk)
    voter = rules.voter(request.user, project)
    mine = project.ratings.filter(resident=voter).first() if voter else None
    return render(
        request,
        "projects/rate.html",
        {"project": project, "error": error, "mine": mine, "scores": range(1, 6)},
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_supervise(request: HttpRequest, pk: int) -> HttpResponse:
    """The planner's supervision log form."""
    project = _project(request, pk)
    if not rules.can_supervise(request.user, project):
        raise Http404
    error = None
    if request.method == "POST":
        try:
            services.project_log_supervision(
                actor=request.user,
                project=project,
                inspected_on=_date(request.POST.get("inspected_on")),
                progress=request.POST.get("progress"),
                problems=request.POST.get("problems", ""),
                note=request.POST.get("note", ""),
                photos=request.FILES.getlist("photos"),
            )
        except ProjectError as exc:
            error = exc.message
        else:
            messages.success(request, _("Inspection logged."))
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/supervise.html",
        {"project": project, "error": error, "today": timezone.localdate()},
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_new(request: HttpRequest) -> HttpResponse:
    profile = getattr(request.user, "profile", None)
    community = None
    if profile is not None and profile.community_id_resolved:
        from gongzhi.places.models import Community

        community = Community.objects.get(pk=profile.community_id_resolved)
    if community is None or not rules.can_propose(request.user, community.pk):
        raise Http404
    error = None
    if request.method == "POST":
        post = request.POST
        try:
            building = Building.objects.filter(
                pk=post.get("building") or 0, compound__community=community
            ).first()
            compound = Compound.objects.filter(
                pk=post.get("compound") or 0, community=community
            ).first()
            planner = Partner.objects.filter(
                pk=post.get("planner") or 0, community=community
            ).first()
            project = services.project_propose(
                actor=request.user,
                kind=post.get("kind", ""),
                title=post.get("title", ""),
                description=post.get("description", ""),
                community=community,
                compound=compound,
                building=building,
                budget=post.get("budget") or None,
                planner=planner,
            )
        except ProjectError as exc:
            error = exc.message
        else:
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/project_new.html",
        {
            "error": error,
            "kinds": Kind.choices,
            "compounds": Compound.objects.filter(community=community),
            "buildings": Building.objects.filter(compound__community=community).select_related(
                "compound"
            ),
            "planners": Partner.objects.active()
            .filter(community=community, roles__code="community_planner")
            .distinct(),
        },
        status=400 if error else 200,
    )


# ---- wish board -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def wish_board(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            _wish_post(request)
        except ProjectError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
        return redirect("projects:wishes")
    try:
        status = choice_param(request, "status", WishStatus)
        wishes = selectors.wish_list(request.user, place=place_param(request), status=status)
    except BadFilter as exc:
        from gongzhi.listing.pages import render_bad_filter

        return render_bad_filter(request, exc)
    user = request.user
    return render(
        request,
        "projects/wishes.html",
        {
            "wishes": wishes[:100],
            "categories": WishCategory.choices,
            "statuses": WishStatus.choices,
            "resident": rules.resident_of(user),
            "partner": rules.partner_of(user),
            "is_staff": getattr(user, "is_superuser", False)
            or (getattr(getattr(user, "profile", None), "role", "") == "staff"),
        },
    )


def _wish_post(request: HttpRequest) -> None:
    action = request.POST.get("action", "")
    if action == "post":
        services.wish_post(
            actor=request.user,
            text=request.POST.get("text", ""),
            category=request.POST.get("category", ""),
        )
        return
    wish = rules.wishes_visible(request.user).filter(pk=request.POST.get("wish") or 0).first()
    if wish is None:
        raise ProjectError("not_found", _("No such wish."))
    if action == "claim":
        services.wish_claim(actor=request.user, wish=wish)
    elif action == "fulfil":
        services.wish_fulfil(
            actor=request.user,
            wish=wish,
            note=request.POST.get("note", ""),
            photo=request.FILES.get("photo"),
        )
    elif action == "confirm":
        services.wish_confirm(actor=request.user, wish=wish)
    elif action == "withdraw":
        services.wish_withdraw(actor=request.user, wish=wish)
    elif action == "to_project":
        services.wish_to_project(actor=request.user, wish=wish)
    else:
        raise ProjectError("unknown_action", _("Unknown action."))


@login_required
def log_photo(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    """An inspection photo, for those who may see the project."""
    photo = get_object_or_404(SupervisionPhoto, pk=photo_pk, log__project=_project(request, pk))
    return private_file(photo.image)


@login_required
def wish_photo(request: HttpRequest, pk: int) -> FileResponse:
    """The photo of a fulfilled wish, for those who may see the wish."""
    return private_file(get_object_or_404(selectors.wish_list(request.user), pk=pk).fulfil_photo)

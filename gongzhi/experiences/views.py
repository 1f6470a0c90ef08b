"""The experience library pages: the searchable list (place, text, tag; Excel export), one
entry, and the form to add one."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from gongzhi.experiences import rules, selectors, services
from gongzhi.experiences.excel import experiences_export
from gongzhi.experiences.models import ExperienceTag
from gongzhi.listing.pages import place_param, render_list, text_param
from gongzhi.places.models import Community, Compound


@login_required
def experience_list(request: HttpRequest) -> HttpResponse:
    def rows():
        return selectors.experience_list(
            request.user,
            place=place_param(request),
            q=text_param(request, "q"),
            tag=text_param(request, "tag"),
        )

    profile = getattr(request.user, "profile", None)
    community_id = profile.community_id_resolved if profile else None
    return render_list(
        request,
        rows=rows,
        template="experiences/list.html",
        partial="experiences/_rows.html",
        export=experiences_export,
        filename="经验库.xlsx",
        context={
            "tags": ExperienceTag.objects.filter(
                experiences__in=rules.experiences_visible(request.user)
            ).distinct()[:60],
            "can_write": community_id is not None and rules.can_write(request.user, community_id),
        },
    )


@login_required
def experience_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = rules.experiences_visible(request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return render(request, "experiences/detail.html", {"entry": entry})


@login_required
@require_http_methods(["GET", "POST"])
def experience_new(request: HttpRequest) -> HttpResponse:
    profile = getattr(request.user, "profile", None)
    community_id = profile.community_id_resolved if profile else None
    if community_id is None or not rules.can_write(request.user, community_id):
        raise Http404
    community = Community.objects.get(pk=community_id)
    error = None
    if request.method == "POST":
        compound = Compound.objects.filter(
            pk=request.POST.get("compound") or 0, community=community
        ).first()
        try:
            entry = services.experience_create(
                actor=request.user,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                tags=request.POST.get("tags", ""),
                community=community,
                compound=compound,
                contributor=request.POST.get("contributor", ""),
            )
        except services.ExperienceError as exc:
            error = exc.message
        else:
            return redirect("experiences:detail", pk=entry.pk)
    return render(
        request,
        "experiences/new.html",
        {"error": error, "compounds": Compound.objects.filter(community=community)},
        status=400 if error else 200,
    )

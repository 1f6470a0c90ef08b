"""The picker's htmx endpoint: the options matching what was typed, as an HTML fragment."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gongzhi.pickers.selectors import PickError, search


def community_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("community", "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_GET
def pick(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    context = {"name": request.GET.get("name", "pick")[:40], "q": q.strip()}
    try:
        context["options"] = search(
            request.user,
            q,
            request.GET.get("kinds", ""),
            community=community_param(request),
            only=request.GET.get("only") or None,
        )
    except PickError as error:
        context["error"] = error.message
        return render(request, "pickers/_options.html", context, status=400)
    return render(request, "pickers/_options.html", context)

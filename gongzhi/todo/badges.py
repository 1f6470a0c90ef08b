"""The to-do badge of the navigation, fetched after the page has loaded.

Counting a user's to-do takes several count queries (one per part of their role's to-do);
done in every page's render it would slow every page and every pinned query count. The tab
bar and the top menu ask for it once with htmx instead; without JavaScript there is no badge,
and the to-do page itself still lists everything.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gongzhi.todo.selectors import todo_count


@login_required
@require_GET
def todo_badge(request: HttpRequest) -> HttpResponse:
    response = render(request, "gongzhi/_todo_badge.html", {"count": todo_count(request.user)})
    response["Cache-Control"] = "no-store"
    return response

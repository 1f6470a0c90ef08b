"""The to-do page (/todo/) and the to-do block of the home page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gongzhi.listing.pages import BadFilter, render_bad_filter
from gongzhi.todo.selectors import KINDS, LIMIT, todo_for

HOME_ITEMS = 8


def todo_context(user, *, kind: str | None = None, limit: int = LIMIT) -> dict:
    """What the cards and the kind chips show: the first ``limit`` items with their kind's
    label, and the kinds that hold something, with their counts, in ``KINDS`` order."""
    todo = todo_for(user, kind=kind)
    counts = todo["counts"]
    items = [{**item, "label": KINDS[item["kind"]]} for item in todo["items"][:limit]]
    shown = counts.get(kind, 0) if kind else sum(counts.values())
    return {
        "todo_items": items,
        "todo_kinds": [(name, KINDS[name], n) for name, n in counts.items() if n],
        "todo_total": sum(counts.values()),
        "todo_more": max(shown - len(items), 0),
        "todo_kind": kind or "",
    }


@login_required
def todo_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "").strip()
    if kind and kind not in KINDS:
        return render_bad_filter(request, BadFilter(_("There is no such kind of to-do.")))
    return render(request, "todo/todo.html", todo_context(request.user, kind=kind or None))

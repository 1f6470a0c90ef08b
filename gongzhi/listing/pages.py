"""What every list page shares: the place filter, pagination, htmx partials and Excel export.

A list view builds its rows with a selector (which enforces scope) and hands them to
``render_list``. The same rows feed the page, the htmx partial and the ``?format=xlsx`` export,
so a filter the user can see on screen is exactly what they download.

Every export is on the audit trail: ``audit.services.record_export`` is in ``EXPORT_RECORDERS``,
appended from the audit app's ``AppConfig.ready`` (the audit page is a list page itself, so the
toolkit sits below ``audit`` and never imports it).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.core.excel import xlsx_response
from gongzhi.core.naturalsort import natural_key, natural_sorted
from gongzhi.core.places import Place
from gongzhi.core.replica import reading_from_replica
from gongzhi.core.scope import directory_reach, is_staff_like, restrict
from gongzhi.places.models import Building, Community, Compound, Grid

PAGE_SIZE = 20

# What records a ``?format=xlsx`` download (``recorder(request, view_name, rows=count)``): the
# audit app appends ``record_export`` from its ``AppConfig.ready`` (docs/audit.md).
EXPORT_RECORDERS: list[Callable[..., object]] = []


class BadFilter(ValueError):
    """A query parameter the page cannot understand; its message is shown to the user."""


def place_param(request: HttpRequest) -> Place | None:
    try:
        return Place.parse(request.GET.get("place", "").strip())
    except ValueError as exc:
        raise BadFilter(str(exc)) from None


def choice_param(request: HttpRequest, name: str, choices) -> str:
    """A query parameter that must be one of ``choices`` (a TextChoices class), or empty."""
    value = request.GET.get(name, "").strip()
    if value and value not in choices.values:
        raise BadFilter(_("Unknown value %(value)s for %(name)s") % {"value": value, "name": name})
    return value


def text_param(request: HttpRequest, name: str) -> str:
    return request.GET.get(name, "").strip()[:60]


@dataclass(frozen=True)
class PlaceOption:
    value: str
    label: str


@dataclass(frozen=True)
class PlaceGroup:
    label: str
    options: list[PlaceOption]


# Above this many buildings (or grids) in a user's reach the ``<select>`` leaves them out: a
# subdistrict official of 100 communities would get 7,000 buildings and 1,000 grids in every
# page (half a second of rendering). They still filter by ``?place=building:N`` — every
# dashboard number links there — or by choosing the compound first.
MAX_OPTIONS = 1000


def _bounded(rows) -> list:
    rows = list(rows[: MAX_OPTIONS + 1])
    return rows if len(rows) <= MAX_OPTIONS else []


def _name(obj) -> str:
    return obj.name


def place_options(user) -> list[PlaceGroup]:
    """The places a user may filter by: the communities, compounds, buildings and grids of
    their directory reach, grouped for a ``<select>`` (four queries) in natural order (第二网格
    before 第十网格); buildings and grids only when there are at most ``MAX_OPTIONS`` of them."""
    reach = directory_reach(user)
    communities = natural_sorted(restrict(Community.objects.all(), reach), _name)
    compounds = sorted(
        restrict(Compound.objects.select_related("community"), reach),
        key=lambda c: (natural_key(c.community.name), natural_key(c.name)),
    )
    buildings = sorted(
        _bounded(restrict(Building.objects.select_related("compound"), reach)),
        key=lambda b: (natural_key(b.compound.name), b.sort_key()),
    )
    grids = sorted(
        _bounded(restrict(Grid.objects.select_related("community"), reach)),
        key=lambda g: (natural_key(g.community.name), natural_key(g.name)),
    )
    several = len(communities) > 1
    groups = [
        (gettext_lazy("Communities"), communities, lambda c: c.name) if several else None,
        (
            gettext_lazy("Compounds"),
            compounds,
            lambda c: f"{c.community.name} {c.name}" if several else c.name,
        ),
        (gettext_lazy("Buildings"), buildings, lambda b: f"{b.compound.name} {b.name}"),
        (
            gettext_lazy("Grids"),
            grids,
            lambda g: f"{g.community.name} {g.name}" if several else g.name,
        ),
    ]
    level = {Community: "community", Compound: "compound", Building: "building", Grid: "grid"}
    return [
        PlaceGroup(
            str(label),
            [PlaceOption(f"{level[type(obj)]}:{obj.pk}", name(obj)) for obj in rows],
        )
        for label, rows, name in filter(None, groups)
        if rows
    ]


def can_export(user) -> bool:
    """Excel exports are for the people who run the community's work and report upward (staff,
    grid workers, officials). Residents and partners use the app on a phone; a list they may
    read on screen is still not a file to pass around (residents could download the partners
    registry)."""
    return is_staff_like(user)


def require_export(user) -> None:
    """The one gate in front of every ``?format=xlsx`` answer: 403 for those who may not."""
    if not can_export(user):
        raise PermissionDenied


def is_partial(request: HttpRequest) -> bool:
    """An htmx request for the results only (a history restore needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def paginate(request: HttpRequest, qs: QuerySet) -> Page:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def render_bad_filter(request: HttpRequest, error: BadFilter) -> HttpResponse:
    return render(request, "gongzhi/bad_filter.html", {"message": str(error)}, status=400)


def render_list(
    request: HttpRequest,
    *,
    rows: Callable[[], QuerySet],
    template: str,
    partial: str,
    export: Callable[[QuerySet], bytes | IO[bytes]] | None = None,
    filename: str = "",
    context: dict | None = None,
) -> HttpResponse:
    """Render a list page, its htmx partial, or (``?format=xlsx``, for ``can_export`` users
    only) its Excel export.

    ``rows`` builds the queryset; it may raise ``BadFilter`` for a parameter it cannot use,
    which becomes a 400 page with the message instead of an error. ``export`` returns the
    workbook's bytes or, for the long lists, a temporary file (``core.excel.workbook_file``)
    that is streamed to the client and deleted once sent, so memory does not grow with the rows.
    """
    try:
        qs = rows()
    except BadFilter as error:
        return render_bad_filter(request, error)
    if request.GET.get("format") == "xlsx" and export is not None:
        require_export(request.user)
        # Every list export is on the audit trail (docs/audit.md).
        count = qs.count()
        for record_export in EXPORT_RECORDERS:
            record_export(request, request.resolver_match.view_name, rows=count)
        with reading_from_replica():
            content = export(qs)
        return xlsx_response(filename, content)
    page = paginate(request, qs)
    partial_only = is_partial(request)
    ctx = {
        "page": page,
        "rows": page.object_list,
        "results_template": partial,
        "can_export": export is not None and can_export(request.user),
        **(context or {}),
    }
    if not partial_only:
        ctx["place_groups"] = place_options(request.user)
    response = render(request, partial if partial_only else template, ctx)
    # The same URL answers with the whole page or the results only.
    patch_vary_headers(response, ["HX-Request"])
    return response

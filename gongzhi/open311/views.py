"""The GeoReport v2 endpoints (/open311/v2/) and the staff page for keys (/open311/keys/).

Plain Django views: the spec wants ``.json``/``.xml`` suffixes and its own error list, neither
of which fits the JSON API. Reading is public; POST requests needs an ``api_key``. Every call
carrying an ``api_key`` is recorded and counted against the key's limits.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gongzhi.configuration.rules import own_community_id
from gongzhi.open311 import rules, selectors, services
from gongzhi.open311.formats import Open311Error, render_error
from gongzhi.open311.formats import render as render_as
from gongzhi.open311.models import CommunityArea
from gongzhi.places.models import Community

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
RECENT_CALLS = 50


def _address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def endpoint(*methods: str):
    """A GeoReport endpoint: refuses other methods, answers ``Open311Error`` in the spec's
    format, and for a call with an ``api_key`` checks the limits and records the call."""

    def decorate(view):
        @csrf_exempt  # clients authenticate with api_key and send no cookies
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            raw = (request.POST.get("api_key") or request.GET.get("api_key") or "").strip()
            request.open311_key = selectors.key_for(raw) if raw else None
            now = timezone.now()
            error_code = ""
            try:
                if request.method not in methods:
                    raise Open311Error(
                        405,
                        "method",
                        _("This endpoint does not take %(method)s.") % {"method": request.method},
                    )
                if raw and selectors.over_limit(
                    key=request.open311_key, address=_address(request), now=now
                ):
                    raise Open311Error(429, "rate_limited", _("Too many calls: try again later."))
                response = view(request, fmt, **kwargs)
            except Open311Error as exc:
                error_code = exc.code
                response = render_error(fmt, status=exc.status, description=exc.description)
            if raw:
                services.open311_call_record(
                    key=request.open311_key,
                    method=request.method,
                    path=request.path,
                    status_code=response.status_code,
                    error_code=error_code,
                    address=_address(request),
                    matter_id=getattr(response, "matter_id", None),
                    now=now,
                )
            return response

        return wrapper

    return decorate


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", args=["json"]))
    base = base.rsplit("/", 1)[0]
    changeset = "2025-01-01T00:00:00Z"
    answer = {
        "changeset": changeset,
        "contact": _("The staff of each community, at its residents' committee."),
        "key_service": _("Community staff create API keys on the page /open311/keys/."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render_as(answer, fmt, root="discovery")


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    selectors.jurisdictions(request.GET.get("jurisdiction_id"))  # an unknown one is refused
    return render_as(selectors.services(), fmt, root="services")


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    selectors.jurisdictions(request.GET.get("jurisdiction_id"))
    return render_as(selectors.service_definition(code), fmt, root="service_definition")


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    communities = selectors.jurisdictions(request.GET.get("jurisdiction_id"))
    rows = selectors.request_list(communities, request.GET, now=timezone.now())
    return render_as(rows, fmt, root="service_requests")


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    key = request.open311_key
    if not (request.POST.get("api_key") or "").strip():
        raise Open311Error(403, "key_required", _("Send your api_key to file a request."))
    if key is None:
        raise Open311Error(403, "key_unknown", _("This api_key is not valid."))
    filed = services.open311_request_submit(key=key, data=request.POST)
    answer = [
        {
            "service_request_id": str(filed.matter_id),
            "token": filed.token,
            "service_notice": services.service_notice(filed),
            "account_id": None,
        }
    ]
    response = render_as(answer, fmt, root="service_requests")
    response.matter_id = filed.matter_id
    return response


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    communities = selectors.jurisdictions(request.GET.get("jurisdiction_id"))
    return render_as(selectors.request_one(communities, request_id), fmt, root="service_requests")


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    filed = selectors.filed_by_token(token)
    answer = [{"service_request_id": str(filed.matter_id), "token": filed.token}]
    return render_as(answer, fmt, root="service_requests")


# ---- the staff page ---------------------------------------------------------------------------


class KeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Client"),
        max_length=services.KEY_NAME_MAX,
        help_text=gettext_lazy("Who uses the key, e.g. the name of the app"),
    )


class AreaForm(forms.Form):
    south = forms.FloatField(label=gettext_lazy("Southern latitude"), min_value=-90, max_value=90)
    north = forms.FloatField(label=gettext_lazy("Northern latitude"), min_value=-90, max_value=90)
    west = forms.FloatField(label=gettext_lazy("Western longitude"), min_value=-180, max_value=180)
    east = forms.FloatField(label=gettext_lazy("Eastern longitude"), min_value=-180, max_value=180)


def _manager(request: HttpRequest) -> None:
    if not rules.can_manage(request.user):
        raise PermissionDenied(_("Only community staff manage Open311 keys."))


def _own_community(request: HttpRequest) -> Community | None:
    community_id = own_community_id(request.user)
    return Community.objects.filter(pk=community_id).first() if community_id else None


@login_required
def keys_page(request: HttpRequest) -> HttpResponse:
    """Keys of the community (create, revoke), its area for lat/long requests, recent calls."""
    _manager(request)
    community = _own_community(request)
    new_key = None
    key_form = KeyForm(request.POST if "create" in request.POST else None)
    area = CommunityArea.objects.filter(community=community).first() if community else None
    area_form = AreaForm(
        request.POST if "area" in request.POST else None,
        initial={f: getattr(area, f) for f in ("south", "north", "west", "east")} if area else None,
    )
    if request.method == "POST" and community is not None:
        try:
            if "create" in request.POST and key_form.is_valid():
                _key, new_key = services.open311_key_create(
                    actor=request.user, community=community, name=key_form.cleaned_data["name"]
                )
                key_form = KeyForm()
            elif "area" in request.POST and area_form.is_valid():
                services.community_area_set(
                    actor=request.user, community=community, **area_form.cleaned_data
                )
                messages.success(request, _("The area is saved."))
                return redirect("open311:keys")
        except Open311Error as exc:
            messages.error(request, exc.description)
    return render(
        request,
        "open311/keys.html",
        {
            "community": community,
            "keys": selectors.keys_for(request.user),
            "new_key": new_key,
            "key_form": key_form,
            "area_form": area_form,
            "calls": selectors.calls_for(request.user)[:RECENT_CALLS],
        },
    )


@login_required
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    key = get_object_or_404(selectors.keys_for(request.user), pk=pk)
    try:
        services.open311_key_revoke(actor=request.user, key=key)
        messages.success(request, _("The key of %(name)s is revoked.") % {"name": key.name})
    except Open311Error as exc:
        messages.error(request, exc.description)
    return redirect("open311:keys")

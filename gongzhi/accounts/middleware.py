"""Sessions end when left idle; users who need a second factor pass it before any page opens.

Both leave bearer-token clients alone: a token is its own credential (it expires and can be
revoked), and an integration has no one to type a code.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.secondfactor import second_factor_required

#: The session key holding the last request's time (epoch seconds).
SEEN_KEY = "gz_seen"
#: The session key holding its idle limit in seconds (decided at login by the role).
LIMIT_KEY = "gz_idle"
#: The time of activity is written when it is older than this share of the idle limit (a
#: tenth: 3 minutes of a 30-minute limit), not one session write per request.
SEEN_SHARE = 10


def _bearer(request: HttpRequest) -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def idle_seconds(user) -> int:
    """How long a session of ``user`` may stay unused: residents have their own, longer, limit
    (their pages hold their own data only); everyone else has the staff limit."""
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    if profile is not None and profile.role == UserRole.RESIDENT:
        return settings.GONGZHI_RESIDENT_SESSION_IDLE_MINUTES * 60
    return settings.GONGZHI_SESSION_IDLE_MINUTES * 60


def session_started(sender, request, user, **kwargs) -> None:
    """A new login is activity: the session starts its idle clock (``user_logged_in``), so the
    first request after it writes nothing."""
    if request is not None and hasattr(request, "session"):
        request.session[SEEN_KEY] = int(time.time())
        request.session[LIMIT_KEY] = idle_seconds(user)


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not _bearer(request):
            now = int(time.time())
            seen = request.session.get(SEEN_KEY)
            limit = request.session.get(LIMIT_KEY)
            if limit is None:
                limit = request.session[LIMIT_KEY] = idle_seconds(request.user)
            if seen is not None and now - seen > limit:
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after a time without activity. Please log in again."),
                )
            elif seen is None or now - seen >= limit // SEEN_SHARE:
                request.session[SEEN_KEY] = now
        return self.get_response(request)


#: Views a user who still owes the second factor may open.
OPEN_VIEWS = {
    "accounts:login",
    "accounts:login_code",
    "accounts:logout",
    "accounts:two_factor",
    "set_language",
}


class SecondFactorMiddleware:
    """While ``GONGZHI_REQUIRE_2FA`` is on, a staff member, official or superuser whose session
    has not passed the second factor reaches only the set-up / code page (and logging out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if (
            not user.is_authenticated
            or _bearer(request)
            or request.resolver_match.view_name in OPEN_VIEWS
            or not second_factor_required(user)
            or user.is_verified()
        ):
            return None
        message = _("Confirm your second factor (the code of your authenticator app) first.")
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "second_factor_required", "message": message}, status=403)
        target = reverse("accounts:two_factor")
        if request.method == "GET" and not request.headers.get("HX-Request"):
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            # htmx follows a redirect inside its request; this makes it load the whole page.
            return HttpResponse(headers={"HX-Redirect": target})
        return redirect(target)

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts.services import login_attempt, login_is_throttled


def _client_address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    status = 200
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        address = _client_address(request)
        if login_is_throttled(username=username, address=address):
            messages.error(
                request, _("Too many failed attempts. Please wait 15 minutes and try again.")
            )
            status = 429
        else:
            user = login_attempt(
                request=request, username=username, password=password, address=address
            )
            if user is not None:
                login(request, user)
                return redirect(next_url or "core:home")
            messages.error(request, _("Wrong username or password."))
            status = 401
    return render(request, "accounts/login.html", {"next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")

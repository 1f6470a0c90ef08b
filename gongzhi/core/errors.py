"""The CSRF failure page in the site's own layout (Django's default is a bare English page).

The 400, 403 and 500 pages need no view: Django's default handlers render the templates
``400.html`` … ``500.html`` in ``core/templates``. The 404 handler answers the API's JSON
under /api/ and the ``404.html`` page elsewhere.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Settings' ``CSRF_FAILURE_VIEW``: a stale or foreign form, explained in plain words."""
    return render(request, "403.html", {"csrf_failure": True}, status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A path that matches no page. Under /api/ (a malformed id in the path, say) the answer
    is the API's JSON error, as for every other API error; elsewhere the site's 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": _("Not found")}, status=404)
    return defaults.page_not_found(request, exception)

"""The CSRF failure page in the site's own layout (Django's default is a bare English page).

The 400, 403, 404 and 500 pages need no view: Django's default handlers render the templates
``400.html`` … ``500.html`` in ``core/templates``.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Settings' ``CSRF_FAILURE_VIEW``: a stale or foreign form, explained in plain words."""
    return render(request, "403.html", {"csrf_failure": True}, status=403)

"""Views with no domain: the health check. The home page and the to-do badge are
``todo.home`` and ``todo.badges`` (URL names ``core:home`` and ``core:todo_badge``, kept from
when they lived here)."""

from django.db import connection
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})

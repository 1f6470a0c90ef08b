"""The JSON API (/api/v1/): one NinjaAPI; each app contributes a router from its ``api.py``.

Two ways in: the browser's session (CSRF is checked on unsafe methods, as for any form) and
``Authorization: Bearer <token>`` for integrations (``gongzhi create_api_token``). Every error
is ``{"code": ..., "message": ...}`` with a stable code and a translated message.
"""

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from gongzhi.accounts.services import token_user
from gongzhi.core.apischema import ApiError
from gongzhi.core.services import ServiceError


class BearerToken(HttpBearer):
    """A token sent but not recognised is refused outright, whatever cookies come with it."""

    def authenticate(self, request: HttpRequest, token: str):
        user = token_user(token)
        if user is None:
            raise AuthenticationError
        request.user = user
        return user


class BrowserSession(SessionAuth):
    """The logged-in browser. Django's CSRF check runs on unsafe methods, but only when the
    session is what authenticates the request: token clients send no cookies and need no CSRF."""

    def __call__(self, request: HttpRequest):
        user = request.user
        if not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise ApiError(403, "csrf_failed", _("CSRF check failed: send the X-CSRFToken header"))
        return user


VALIDATION_ERROR = {
    "description": "The request is not valid: which field, and why",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object"}},
                },
                "required": ["code", "message"],
            }
        }
    },
}


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }


class GongzhiAPI(NinjaAPI):
    """The API whose schema documents the answers every operation may give besides its own,
    all as ``{"code", "message"}``: 400 (a value the operation refuses, such as an unknown
    place), 422 (a parameter or body that does not validate), 404 (an object that is not
    there or not yours to see, or a malformed id in the path), and behind authentication 401
    (no or a bad token) and 403 (not allowed; staff without their second factor)."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                responses.setdefault(400, _error_response("The request is refused"))
                responses.setdefault(422, VALIDATION_ERROR)
                if "{" in path:
                    responses.setdefault(404, _error_response("Not found"))
                if operation.get("security"):
                    responses.setdefault(401, _error_response("Log in or send a valid token"))
                    responses.setdefault(403, _error_response("Not allowed"))
        return schema


api = GongzhiAPI(
    title="Gongzhi 共治 API",
    version="1",
    description="Places, residents (masked), partners, teams and organisations.",
    # Bearer first: a request with a token is an integration, even if a cookie rides along.
    auth=[BearerToken(), BrowserSession()],
    urls_namespace="api",
)


def error(request, status: int, code: str, message: str):
    return api.create_response(request, {"code": code, "message": message}, status=status)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = getattr(exc, "code", None)
    if code is None:
        codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict"}
        code = codes.get(exc.status_code, "error")
    return error(request, exc.status_code, code, str(exc))


@api.exception_handler(ServiceError)
def _refused(request, exc: ServiceError):
    """Every app's refused write: its status, stable code and translated message."""
    return error(request, exc.status, exc.code, exc.message)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error(request, 404, "not_found", _("Not found"))


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return error(request, 401, "unauthenticated", _("Log in or send a valid API token"))


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    return api.create_response(
        request,
        {"code": "invalid", "message": _("The request is not valid"), "errors": exc.errors},
        status=422,
    )


def _register_routers() -> None:
    from gongzhi.partners.api import router as partners_router
    from gongzhi.people.api import places_router as people_places_router
    from gongzhi.people.api import router as people_router
    from gongzhi.places.api import router as places_router

    # The matters router first: the intake (POST /matters, at every submit) is then found after
    # a handful of patterns instead of the ~30 of the routers before it (half of its URL
    # resolution, ~40 µs). Its paths take an int id ({int:matter_id}), so /matters/rules and
    # /matters/deadline-policies still reach configuration's router below.
    api.add_router("/matters", "gongzhi.matters.api.router")
    api.add_router("/places", places_router)
    # A building with its households (/places/buildings/{id}): people's router at the same
    # prefix, as places sits below people.
    api.add_router("/places", people_places_router)
    api.add_router("/auth", "gongzhi.accounts.api.router")
    api.add_router("/", people_router)
    api.add_router("/", partners_router)
    api.add_router("/", "gongzhi.configuration.api.router")
    api.add_router("/mediation", "gongzhi.mediation.api.router")
    api.add_router("/meetings", "gongzhi.meetings.api.router")
    api.add_router("/points", "gongzhi.points.api.router")
    api.add_router("/honours", "gongzhi.honours.api.router")
    api.add_router("/volunteering", "gongzhi.volunteering.api.router")
    api.add_router("/projects", "gongzhi.projects.api.router")
    api.add_router("/experiences", "gongzhi.experiences.api.router")
    api.add_router("/network", "gongzhi.network.api.router")
    api.add_router("/insights", "gongzhi.insights.api.router")
    api.add_router("/me", "gongzhi.todo.api.router")
    api.add_router("/me", "gongzhi.notifications.api.router")
    api.add_router("/pick", "gongzhi.pickers.api.router")
    api.add_router("/open311", "gongzhi.open311.api.router")
    api.add_router("/hotline", "gongzhi.hotline.api.router")
    api.add_router("/", "gongzhi.visits.api.router")
    api.add_router("/party", "gongzhi.party.api.router")
    api.add_router("/maps", "gongzhi.maps.api.router")


_register_routers()

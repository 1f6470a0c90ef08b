"""The JSON API (/api/v1/): one NinjaAPI; each app contributes a router from its ``api.py``."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from gongzhi.accounts.services import token_user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class SessionAuthAnyMethod(SessionAuth):
    """Session auth for the browser: CSRF is still checked on unsafe methods."""


api = NinjaAPI(
    title="Gongzhi 共治 API",
    version="1",
    description="Places, residents (masked), partners, teams and organisations.",
    auth=[SessionAuthAnyMethod(), BearerToken()],
    urls_namespace="api",
)


def error(request, status: int, code: str, message: str):
    return api.create_response(request, {"code": code, "message": message}, status=status)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict"}
    return error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


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
    from gongzhi.people.api import router as people_router
    from gongzhi.places.api import router as places_router

    api.add_router("/places", places_router)
    api.add_router("/", people_router)
    api.add_router("/", partners_router)


_register_routers()

"""The interface language, and the security headers of every answer.

The language: Simplified Chinese unless the user chose English.

Django's LocaleMiddleware would follow the browser's Accept-Language header, so a staff member
on an English-language browser would get English without asking. Gongzhi speaks Chinese by
default; the footer's language switch (Django's ``set_language`` view) stores the choice in a
cookie, which this middleware honours. The JSON API (integrations, no footer) also follows the
client's Accept-Language, so error messages come in the language the client asks for.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in self.supported and request.path.startswith("/api/"):
            chosen = translation.get_language_from_request(request)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class SecurityHeadersMiddleware:
    """``Content-Security-Policy`` (``GONGZHI_CSP``: scripts only from our own files) on every
    answer, and ``Cache-Control: no-store`` on everything that may hold personal data: every
    answer to a logged-in user and every API answer. A view that chose its own caching (a
    photo: ``private, max-age``) keeps it. Static files are served before this (WhiteNoise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.GONGZHI_CSP)
        user = getattr(request, "user", None)
        personal = request.path.startswith("/api/") or (user is not None and user.is_authenticated)
        if personal and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response

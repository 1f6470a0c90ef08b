"""Login throttling and API tokens."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone

from gongzhi.accounts.models import ApiToken, LoginFailure


def login_is_throttled(*, username: str, address: str | None) -> bool:
    since = timezone.now() - timedelta(seconds=settings.GONGZHI_LOGIN_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    limit = settings.GONGZHI_LOGIN_MAX_FAILURES
    if recent.filter(username=username).count() >= limit:
        return True
    # An address may try a few more usernames than one username may be tried.
    return bool(address) and recent.filter(address=address).count() >= limit * 4


def login_attempt(*, request, username: str, password: str, address: str | None):
    """Authenticate, recording failures; returns the user or None. Callers check throttling first."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        LoginFailure.objects.create(username=username[:150], address=address)
        return None
    LoginFailure.objects.filter(username=username).delete()
    return user


def token_user(raw: str):
    """The active user owning this bearer token, or None."""
    if not raw:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(raw)).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user

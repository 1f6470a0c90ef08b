"""Reads for notifications: a person's preferences and the phone number that reaches them."""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth.models import User

from gongzhi.notifications.models import NotificationPreference

# Where the numbers come from (``source(user_ids) -> {user id: mobile}``; a later source wins
# for the same user). The accounts app appends ``accounts.selectors.account_phones`` (the
# account's own number, else its linked resident's or partner's) from its ``AppConfig.ready``:
# notifications sits below accounts and never imports it.
PHONE_SOURCES: list[Callable[[list[int]], dict[int, str]]] = []


def phones_of(users: Iterable[User]) -> dict[int, str]:
    """User id → mobile number: the account's own number (verified by SMS at sign-up) first,
    else that of the resident or partner record the account is linked to (``PHONE_SOURCES``).
    Users without one are left out."""
    ids = [u.pk for u in users]
    phones: dict[int, str] = {}
    for source in PHONE_SOURCES:
        phones.update(source(ids))
    return phones


def preference_of(user: User) -> NotificationPreference:
    """The user's saved preference, or the defaults (not saved) when they never chose."""
    saved = NotificationPreference.objects.filter(user=user).first()
    return saved or NotificationPreference(
        user=user, channel=settings.GONGZHI_NOTIFY_DEFAULT_CHANNEL
    )

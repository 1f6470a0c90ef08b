"""Reads for notifications: a person's preferences and the phone number that reaches them."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User

from gongzhi.accounts.models import Profile, UserPhone
from gongzhi.core.identity import is_mobile
from gongzhi.notifications.models import NotificationPreference


def phones_of(users: Iterable[User]) -> dict[int, str]:
    """User id → mobile number: the account's own number (verified by SMS at sign-up) first,
    else that of the resident or partner record the account is linked to. Users without one
    are left out."""
    ids = [u.pk for u in users]
    phones = {}
    profiles = Profile.objects.filter(user__in=ids).select_related("resident", "partner")
    for profile in profiles:
        for record in (profile.resident, profile.partner):
            if record is not None and is_mobile(record.phone):
                phones[profile.user_id] = record.phone
                break
    for own in UserPhone.objects.filter(user__in=ids):
        if is_mobile(own.phone):
            phones[own.user_id] = own.phone
    return phones


def preference_of(user: User) -> NotificationPreference:
    """The user's saved preference, or the defaults (not saved) when they never chose."""
    saved = NotificationPreference.objects.filter(user=user).first()
    return saved or NotificationPreference(
        user=user, channel=settings.GONGZHI_NOTIFY_DEFAULT_CHANNEL
    )

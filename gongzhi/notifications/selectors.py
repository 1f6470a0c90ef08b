"""Reads for notifications: a person's preferences and the phone number that reaches them."""

from django.conf import settings

from gongzhi.accounts.models import Profile
from gongzhi.core.identity import is_mobile
from gongzhi.notifications.models import NotificationPreference


def phones_of(users) -> dict[int, str]:
    """User id → mobile number, from the resident or partner record the account is linked to
    (the registry is the one place phone numbers are kept). Users without one are left out."""
    phones = {}
    profiles = Profile.objects.filter(user__in=[u.pk for u in users]).select_related(
        "resident", "partner"
    )
    for profile in profiles:
        for record in (profile.resident, profile.partner):
            if record is not None and is_mobile(record.phone):
                phones[profile.user_id] = record.phone
                break
    return phones


def preference_of(user) -> NotificationPreference:
    """The user's saved preference, or the defaults (not saved) when they never chose."""
    saved = NotificationPreference.objects.filter(user=user).first()
    return saved or NotificationPreference(
        user=user, channel=settings.GONGZHI_NOTIFY_DEFAULT_CHANNEL
    )

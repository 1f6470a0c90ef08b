"""Reads of accounts lent to the apps below: the mobile number that reaches a user."""

from collections.abc import Iterable

from gongzhi.accounts.models import Profile, UserPhone
from gongzhi.core.identity import is_mobile


def account_phones(user_ids: Iterable[int]) -> dict[int, str]:
    """User id → mobile number: the account's own number (verified by SMS at sign-up) first,
    else that of the resident or partner record the account is linked to (two queries). Users
    without one are left out. ``notifications.selectors.phones_of`` reads it through
    ``PHONE_SOURCES`` (appended from ``AccountsConfig.ready``)."""
    ids = list(user_ids)
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

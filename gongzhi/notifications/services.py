"""Notify people: an inbox row for users plus a message by their preferred channel, and a
message for contacts without an account. Outbound messages go through the outbox."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.notifications.models import (
    Channel,
    Notification,
    NotificationPreference,
    Outbox,
    PreferredChannel,
)
from gongzhi.notifications.outbox import build_message, enqueue
from gongzhi.notifications.selectors import phones_of


def _outbound_text(title: str, body: str) -> str:
    return f"{title}\n{body}" if body else title


def notify_users(
    *,
    users: Iterable,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    urgent: bool = False,
) -> int:
    """An inbox row for each user, and an outbound message (SMS or WeCom, per preference,
    after quiet hours unless ``urgent``) for those who can be reached. Returns the inbox rows."""
    people = list({u.pk: u for u in users if u is not None}.values())
    Notification.objects.bulk_create(
        [
            Notification(user=user, kind=kind, title=title[:120], body=body, link=link)
            for user in people
        ]
    )
    if people:
        Outbox.objects.bulk_create(
            _outbound_for(people, kind=kind, title=title, body=body, urgent=urgent)
        )
    return len(people)


def _outbound_for(people: list, *, kind: str, title: str, body: str, urgent: bool) -> list:
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=people)}
    default = settings.GONGZHI_NOTIFY_DEFAULT_CHANNEL
    wanting_sms = [
        u for u in people if (prefs[u.pk].channel if u.pk in prefs else default) == Channel.SMS
    ]
    phones = phones_of(wanting_sms) if wanting_sms else {}
    rows = []
    for user in people:
        pref = prefs.get(user.pk)
        channel = pref.channel if pref else default
        if channel == PreferredChannel.SMS:
            to = phones.get(user.pk, "")
        elif channel == PreferredChannel.WECOM_APP and pref:
            to = pref.wecom_user_id
        else:
            to = ""
        if not to:
            continue
        rows.append(
            build_message(
                to=to,
                channel=channel,
                subject=title,
                body=_outbound_text(title, body),
                kind=kind,
                user=user,
                urgent=urgent,
                preference=pref,
            )
        )
    return rows


def notify_contact(*, contact: str, title: str, body: str = "", kind: str = "contact") -> None:
    """An SMS to someone without an account (e.g. an anonymous reporter's phone), via the outbox."""
    if contact:
        enqueue(
            to=contact,
            channel=Channel.SMS,
            subject=title,
            body=_outbound_text(title, body),
            kind=kind,
        )


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


@transaction.atomic
def notification_preference_set(
    *,
    user: User,
    channel: str,
    quiet_start: dt.time,
    quiet_end: dt.time,
    wecom_user_id: str = "",
) -> NotificationPreference:
    """Save how ``user`` wants to be told; refuses a channel that cannot reach them."""
    wecom_user_id = wecom_user_id.strip()
    if channel not in PreferredChannel.values:
        raise ValidationError(_("Choose SMS, WeCom or only the inbox."), code="bad_channel")
    if channel == PreferredChannel.SMS and not phones_of([user]).get(user.pk):
        raise ValidationError(
            _("We have no mobile number for you: ask the community office to add it."),
            code="no_phone",
        )
    if channel == PreferredChannel.WECOM_APP and not wecom_user_id:
        raise ValidationError(_("Enter your WeCom user ID."), code="no_wecom_id")
    if len(wecom_user_id) > 64:
        raise ValidationError(_("The WeCom user ID is too long."), code="bad_wecom_id")
    pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    pref.channel = channel
    pref.quiet_start = quiet_start
    pref.quiet_end = quiet_end
    pref.wecom_user_id = wecom_user_id
    pref.full_clean()
    pref.save()
    return pref

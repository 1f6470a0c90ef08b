"""Notify people: an inbox row for users, an outbound message for contacts without an account."""

from collections.abc import Iterable

from gongzhi.notifications.models import Notification
from gongzhi.notifications.outbound import backend


def notify_users(*, users: Iterable, kind: str, title: str, body: str = "", link: str = "") -> int:
    rows = [
        Notification(user=user, kind=kind, title=title[:120], body=body, link=link)
        for user in {u.pk: u for u in users if u is not None}.values()
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def notify_contact(*, contact: str, title: str, body: str = "") -> None:
    if contact:
        backend().send(to=contact, subject=title, body=body)


def notification_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    from django.utils import timezone

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())

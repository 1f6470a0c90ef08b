from functools import cache

from gongzhi.notifications.models import Notification


def unread_notifications(request):
    """``unread_notifications``: the user's unread count, queried once and only if a template
    uses it (templates call callables), so pages without the nav badge pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def count() -> int:
        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {"unread_notifications": count}

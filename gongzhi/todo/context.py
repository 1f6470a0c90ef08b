from functools import cache

from gongzhi.todo.selectors import todo_count as count_for


def todo_count(request):
    """``todo_count``: how many things wait for the user (the navigation badge), computed
    once and only if a template uses it (templates call callables), like
    ``notifications.context.unread_notifications``."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def count() -> int:
        return count_for(user)

    return {"todo_count": count}

from gongzhi.accounts.scope import can_manage_registry, is_staff_like


def current_scope(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return {
        "profile": profile,
        "user_is_staff_like": is_staff_like(user),
        "user_can_manage": can_manage_registry(user),
    }

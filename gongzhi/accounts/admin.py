from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from gongzhi.accounts.models import ApiToken, LoginFailure, Profile


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    autocomplete_fields = ["subdistrict", "community", "compound", "grid", "resident", "partner"]


class GongzhiUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "first_name", "last_name", "role", "is_active", "is_superuser"]
    list_select_related = ["profile"]
    list_filter = ["profile__role", "is_active", "is_superuser"]

    @admin.display(description=Profile._meta.get_field("role").verbose_name)
    def role(self, obj) -> str:
        profile = getattr(obj, "profile", None) if hasattr(obj, "profile") else None
        return profile.get_role_display() if profile else ""


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), GongzhiUserAdmin)


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ["username", "address", "at"]
    search_fields = ["username"]
    readonly_fields = ["username", "address", "at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with ``ApiToken.issue`` (the raw value is shown once); the admin only
    lists and revokes them."""

    list_display = ["name", "user", "created_at", "last_used_at"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "created_at", "last_used_at"]
    exclude = ["digest"]

    def has_add_permission(self, request) -> bool:
        return False

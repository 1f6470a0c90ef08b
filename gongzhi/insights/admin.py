"""Rollup rows are derived data: shown read-only, rebuilt by ``gongzhi rollup --full``."""

from django.contrib import admin

from gongzhi.insights.models import HouseholdDay, MatterDay, RollupState


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MatterDay)
class MatterDayAdmin(ReadOnly):
    list_display = ["day", "community", "compound", "building", "category", "tier", "submitted"]
    list_filter = ["category", "tier", "channel"]
    date_hierarchy = "day"


@admin.register(HouseholdDay)
class HouseholdDayAdmin(ReadOnly):
    list_display = ["day", "household", "community"]
    date_hierarchy = "day"


@admin.register(RollupState)
class RollupStateAdmin(ReadOnly):
    list_display = ["name", "watermark", "ran_at"]

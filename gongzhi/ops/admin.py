from django.contrib import admin

from gongzhi.ops.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """The worker's runs, read only: they are the record of what ran where."""

    list_display = ["job", "started_at", "finished_at", "ok", "host"]
    list_filter = ["job", "ok"]
    readonly_fields = ["job", "started_at", "finished_at", "ok", "message", "host"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

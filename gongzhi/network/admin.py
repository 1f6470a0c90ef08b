from django.contrib import admin

from gongzhi.network.models import NetworkSnapshot


@admin.register(NetworkSnapshot)
class NetworkSnapshotAdmin(admin.ModelAdmin):
    """Computed rows: read them here, recompute them with ``gongzhi network_snapshot``."""

    list_display = ["month", "community", "compound", "nodes", "edges", "density", "components"]
    list_filter = ["community"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

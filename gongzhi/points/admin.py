"""Read-only admin for the ledger: the only correction is a reversal journal (a service)."""

from django.contrib import admin

from gongzhi.points.models import Account, Journal, Posting, Redemption, ShopItem


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount", "balance_after", "account_version"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Journal)
class JournalAdmin(ReadOnly):
    list_display = ["id", "kind", "amount", "community", "reason", "effective_at", "created_by"]
    list_filter = ["kind", "community"]
    search_fields = ["idempotency_key", "source", "reason"]
    inlines = [PostingInline]


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ["id", "kind", "__str__", "community", "balance", "version"]
    list_filter = ["kind", "community"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnly):
    list_display = ["id", "item", "account", "quantity", "points", "status", "ordered_at"]
    list_filter = ["status"]


@admin.register(ShopItem)
class ShopItemAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "price", "stock", "per_person_limit", "active"]
    list_filter = ["community", "active"]
    # Stock moves by orders and relative restocking (the items page), never by a stale value.
    readonly_fields = ["stock"]

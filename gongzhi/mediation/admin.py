from django.contrib import admin

from gongzhi.mediation.models import CaseEvent, CaseParty, CaseSession, FollowUp, MediationCase


class PartyInline(admin.TabularInline):
    model = CaseParty
    extra = 0
    raw_id_fields = ["resident", "organisation"]


class SessionInline(admin.TabularInline):
    model = CaseSession
    extra = 0


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0


@admin.register(MediationCase)
class MediationCaseAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "outcome", "community", "opened_at"]
    list_filter = ["kind", "status", "outcome"]
    raw_id_fields = ["matter", "compound", "building", "created_by"]
    filter_horizontal = ["mediators", "authorised_staff"]
    inlines = [PartyInline, SessionInline, FollowUpInline]


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["case", "at", "action", "from_status", "to_status", "actor"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Admin for honours. Ballots and the voters' roll are not shown at all: the secret ballot is
kept apart from who voted, and nobody — not even an administrator — browses them here."""

from django.contrib import admin

from gongzhi.honours.models import (
    Candidate,
    Election,
    HonourRoll,
    HonourRule,
    Objection,
    Recommendation,
    ResidentVerification,
    TalentProfile,
)


class ReadOnly(admin.ModelAdmin):
    """Changes go through the services (state machine, frozen rolls)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CandidateInline(admin.TabularInline):
    model = Candidate
    extra = 0
    can_delete = False
    fields = ["name", "category", "screening", "votes", "committee_score", "rank", "elected"]
    readonly_fields = fields


@admin.register(Election)
class ElectionAdmin(ReadOnly):
    list_display = ["title", "community", "status", "vote_from", "vote_to", "published_on"]
    list_filter = ["status", "community"]
    inlines = [CandidateInline]


@admin.register(Objection)
class ObjectionAdmin(ReadOnly):
    list_display = ["election", "candidate", "raised_on", "handled", "upheld"]


@admin.register(HonourRule)
class HonourRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "period", "metric", "top_n", "minimum", "active"]
    list_filter = ["community", "period", "metric"]


@admin.register(HonourRoll)
class HonourRollAdmin(ReadOnly):
    list_display = ["rule", "period_start", "period_end", "status", "published_at"]
    list_filter = ["status", "rule__period", "community"]


@admin.register(ResidentVerification)
class ResidentVerificationAdmin(ReadOnly):
    list_display = ["resident", "method", "verified_by", "verified_at"]
    list_filter = ["method"]


class RecommendationInline(admin.TabularInline):
    model = Recommendation
    extra = 0


@admin.register(TalentProfile)
class TalentProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "field", "added_on"]
    list_filter = ["community", "field"]
    search_fields = ["name", "field", "skills"]
    raw_id_fields = ["resident", "partner"]
    inlines = [RecommendationInline]

from django.contrib import admin

from gongzhi.places.models import Building, Community, Compound, Grid, Household, Subdistrict, Unit


@admin.register(Subdistrict)
class SubdistrictAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "subdistrict"]
    list_filter = ["subdistrict"]
    search_fields = ["name"]


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ["name", "community"]
    list_filter = ["community"]
    list_select_related = ["community"]
    search_fields = ["name"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["name", "community"]
    list_filter = ["community"]
    list_select_related = ["community"]
    search_fields = ["name"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["name", "compound", "grid", "number"]
    list_filter = ["compound__community", "compound", "grid"]
    list_select_related = ["compound", "grid"]
    search_fields = ["name", "compound__name"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["__str__", "number"]
    list_filter = ["building__compound"]
    list_select_related = ["building__compound"]
    search_fields = ["name", "building__name", "building__compound__name"]
    autocomplete_fields = ["building"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["label", "room"]
    list_filter = ["unit__building__compound"]
    list_select_related = ["unit__building__compound"]
    search_fields = ["room", "unit__building__name", "unit__building__compound__name"]
    autocomplete_fields = ["unit"]

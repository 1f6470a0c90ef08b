from django.contrib import admin

from gongzhi.meetings.models import PublicHoliday, Series, Venue


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "compound", "address"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "rule", "venue", "holiday_policy", "active"]

    def has_add_permission(self, request) -> bool:
        # A series is created by series_create (start date check, meetings generated).
        return False

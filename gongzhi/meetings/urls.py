from django.urls import path

from gongzhi.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("series/", views.series_list_view, name="series"),
    path("series/<int:pk>.ics", views.series_ics, name="series_ics"),
    path("new/", views.meeting_new, name="new"),
    path("decisions/", views.decisions_public, name="decisions"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/minutes/", views.minutes_view, name="minutes"),
    path("<int:pk>/minutes.docx", views.minutes_docx_view, name="minutes_docx"),
    path("<int:pk>/<slug:action>/", views.meeting_act, name="act"),
]

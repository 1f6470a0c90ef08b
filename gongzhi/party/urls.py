from django.urls import path

from gongzhi.party import views

app_name = "party"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("members/", views.members, name="members"),
    path("units/", views.units, name="units"),
    path("units/feedback.<str:fmt>", views.unit_feedback_export, name="feedback"),
    path("cadres/", views.cadres, name="cadres"),
    path("checkin/", views.check_in, name="checkin"),
]

from django.urls import path

from gongzhi.visits import views

app_name = "visits"
urlpatterns = [
    path("", views.today, name="today"),
    path("new/", views.visit_new, name="new"),
    path("households/", views.household_search, name="households"),
    path("log/", views.visit_log, name="log"),
    path("coverage/", views.coverage, name="coverage"),
    path("care/", views.care, name="care"),
    path("care/new/", views.care_new, name="care_new"),
]

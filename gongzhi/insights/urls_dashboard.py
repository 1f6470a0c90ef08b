from django.urls import path

from gongzhi.insights import views_dashboard

app_name = "dashboard"

urlpatterns = [
    path("", views_dashboard.dashboard, name="dashboard"),
    path("report/", views_dashboard.annual_report, name="report"),
]

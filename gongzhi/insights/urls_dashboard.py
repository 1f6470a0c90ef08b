from django.urls import path

from gongzhi.insights import views_dashboard

app_name = "dashboard"

urlpatterns = [
    path("", views_dashboard.dashboard, name="dashboard"),
    path("report/", views_dashboard.annual_report, name="report"),
    path("report/prepare/", views_dashboard.report_prepare, name="report_prepare"),
    path("report/jobs/<int:pk>/", views_dashboard.report_job, name="report_job"),
    path("report/jobs/<int:pk>/file/", views_dashboard.report_download, name="report_download"),
]

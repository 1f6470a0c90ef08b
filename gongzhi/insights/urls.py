from django.urls import path

from gongzhi.insights import views

app_name = "insights"

urlpatterns = [
    path("index/", views.index_page, name="index"),
    path("diagnostics/", views.diagnostics_page, name="diagnostics"),
]

from django.urls import path

from gongzhi.mediation import views

app_name = "mediation"
urlpatterns = [
    path("", views.case_list_view, name="list"),
    path("new/", views.case_new, name="new"),
    path("from-matter/<int:matter_pk>/", views.open_from_matter, name="from_matter"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.case_act, name="act"),
]

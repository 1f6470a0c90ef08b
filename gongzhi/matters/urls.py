from django.urls import path

from gongzhi.matters import views, views_dashboard, views_paste

app_name = "matters"
urlpatterns = [
    path("", views.matter_list_view, name="list"),
    path("new/", views.matter_new, name="new"),
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("paste/", views_paste.paste, name="paste"),
    path("suggest/", views.suggest_view, name="suggest"),
    path("places/<slug:level>/", views.place_options, name="place_options"),
    path("reporters/", views.reporter_options, name="reporter_options"),
    path("mine/", views.my_matters, name="mine"),
    path("report/", views.matter_report, name="report"),
    path("<int:pk>/", views.matter_detail, name="detail"),
    path("<int:pk>/photos/<int:photo_pk>/", views.photo_view, name="photo"),
    path("<int:pk>/<slug:action>/", views.matter_act, name="act"),
]

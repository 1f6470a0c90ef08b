"""The matters pages under /matters/. The dashboard (/matters/dashboard/, ``matters:dashboard``)
is added to this namespace by ``gongzhi/urls.py``: it lives in ``insights.views_matters``, as it
reads the insights rollup and the hotline's figures (apps above matters)."""

from django.urls import path

from gongzhi.matters import views, views_paste

app_name = "matters"
urlpatterns = [
    path("", views.matter_list_view, name="list"),
    path("new/", views.matter_new, name="new"),
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

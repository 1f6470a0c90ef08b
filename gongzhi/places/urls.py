from django.urls import path

from gongzhi.places import views

app_name = "places"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("buildings/<int:pk>/", views.building_detail, name="building"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
]

from django.urls import path

from gongzhi.maps import views

app_name = "maps"

urlpatterns = [
    path("", views.map_page, name="map"),
    path("import/", views.import_page, name="import"),
]

from django.urls import path

from gongzhi.network import views

app_name = "network"

urlpatterns = [path("", views.graph_page, name="graph")]

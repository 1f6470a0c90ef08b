from django.urls import path

from gongzhi.pickers import views

app_name = "pickers"
urlpatterns = [path("", views.pick, name="pick")]

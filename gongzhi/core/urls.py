from django.urls import path

from gongzhi.core import badges, views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("badges/todo", badges.todo_badge, name="todo_badge"),
]

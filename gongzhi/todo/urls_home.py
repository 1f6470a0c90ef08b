"""The site's root: the home page, the health check and the to-do badge.

The namespace stays ``core`` (``core:home`` is the login redirect and every template's home
link) although the home page and the badge belong to the to-do app and the health check to
core: core imports no domain app, so the URLs that join them live here.
"""

from django.urls import path

from gongzhi.core import views as core_views
from gongzhi.todo import badges, home

app_name = "core"
urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("badges/todo", badges.todo_badge, name="todo_badge"),
]

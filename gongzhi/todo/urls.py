from django.urls import path

from gongzhi.todo import views

app_name = "todo"
urlpatterns = [path("", views.todo_page, name="list")]

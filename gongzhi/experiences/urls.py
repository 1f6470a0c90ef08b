from django.urls import path

from gongzhi.experiences import views

app_name = "experiences"

urlpatterns = [
    path("", views.experience_list, name="list"),
    path("new/", views.experience_new, name="new"),
    path("<int:pk>/", views.experience_detail, name="detail"),
]

from django.urls import path

from gongzhi.hotline import views

app_name = "hotline"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("answers.xlsx", views.export_answers, name="export_answers"),
    path("credentials/", views.credentials, name="credentials"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.order_action, name="action"),
]

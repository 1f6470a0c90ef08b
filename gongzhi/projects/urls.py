from django.urls import path

from gongzhi.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_new, name="new"),
    path("wishes/", views.wish_board, name="wishes"),
    path("wishes/<int:pk>/photo/", views.wish_photo, name="wish_photo"),
    path("<int:pk>/photos/<int:photo_pk>/", views.log_photo, name="log_photo"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/action/", views.project_action, name="action"),
    path("<int:pk>/vote/", views.project_vote, name="vote"),
    path("<int:pk>/rate/", views.project_rate, name="rate"),
    path("<int:pk>/supervise/", views.project_supervise, name="supervise"),
]

from django.urls import path

from gongzhi.configuration import views

app_name = "configuration"

urlpatterns = [
    path("", views.index, name="index"),
    path("log/", views.change_log, name="log"),
    path("shop-photos/<int:pk>/", views.shop_photo, name="shop_photo"),
    path("teams/<int:pk>/members/", views.team_member_add, name="member_add"),
    path(
        "teams/<int:pk>/members/<int:partner_pk>/remove/",
        views.team_member_remove,
        name="member_remove",
    ),
    path(
        "teams/<int:pk>/join-requests/<int:rid>/<str:action>/",
        views.join_request_answer,
        name="join_answer",
    ),
    path("<slug:slug>/", views.section_list, name="section"),
    path("<slug:slug>/<int:pk>/", views.section_edit, name="edit"),
    path("<slug:slug>/<int:pk>/delete/", views.section_delete, name="delete"),
]

from django.urls import path

from gongzhi.honours import views

app_name = "honours"
urlpatterns = [
    path("", views.home, name="home"),
    path("elections/new/", views.election_new, name="election_new"),
    path("elections/<int:pk>/", views.election_detail, name="election"),
    path("elections/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("elections/<int:pk>/vote/", views.vote, name="vote"),
    path("elections/<int:pk>/object/", views.object_to, name="object"),
    path("elections/<int:pk>/<slug:action>/", views.election_action, name="election_action"),
    path("candidates/<int:pk>/screen/", views.screen, name="screen"),
    path("candidates/<int:pk>/assess/", views.assess, name="assess"),
    path("objections/<int:pk>/handle/", views.handle_objection, name="handle_objection"),
    path("verify/", views.verify, name="verify"),
    path("rolls/", views.rolls, name="rolls"),
    path("rolls/<int:pk>/", views.roll_detail, name="roll"),
    path("rolls/<int:pk>/poster/", views.roll_poster, name="poster"),
    path("rolls/<int:pk>/<slug:action>/", views.roll_action, name="roll_action"),
    path("talent/", views.talent, name="talent"),
    path("talent/<int:pk>/", views.talent_detail, name="talent_detail"),
    path("talent/<int:pk>/photo/", views.talent_photo, name="talent_photo"),
]

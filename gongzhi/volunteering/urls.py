from django.urls import path

from gongzhi.volunteering import views

app_name = "volunteering"
urlpatterns = [
    path("", views.activity_list_view, name="activities"),
    path("new/", views.activity_new, name="new"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/records/", views.record_add, name="record_add"),
    path("records/", views.record_list_view, name="records"),
    path("records/<int:pk>/<slug:action>/", views.record_action, name="record_action"),
    path("mine/", views.mine, name="mine"),
    path("certificate/", views.certificate, name="certificate"),
    path("certificate/<str:key>/", views.certificate, name="certificate_of"),
    path("claims/", views.claim_list_view, name="claims"),
    path("claims/approve/", views.claims_approve, name="claims_approve"),
    path("claims/<int:pk>/<slug:action>/", views.claim_action, name="claim_action"),
]

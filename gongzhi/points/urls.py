from django.urls import path

from gongzhi.points import views

app_name = "points"
urlpatterns = [
    path("", views.my_points, name="mine"),
    path("shop/", views.shop, name="shop"),
    path("shop/<int:pk>/order/", views.order, name="order"),
    path("orders/<int:pk>/<slug:action>/", views.resolve, name="resolve"),
    path("desk/", views.desk, name="desk"),
    path("desk/handout/", views.handout, name="handout"),
    path("items/", views.item_list_view, name="items"),
    path("items/new/", views.item_edit, name="item_new"),
    path("items/<int:pk>/", views.item_edit, name="item_edit"),
    path("accounts/", views.account_list_view, name="accounts"),
]

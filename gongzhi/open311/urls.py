from django.urls import path, re_path

from gongzhi.open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^v2/discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^v2/services" + FMT, views.service_list, name="services"),
    re_path(r"^v2/services/(?P<code>[\w-]{1,40})" + FMT, views.service_definition, name="service"),
    re_path(r"^v2/requests" + FMT, views.requests, name="requests"),
    re_path(
        r"^v2/requests/(?P<request_id>[\w-]{1,40})" + FMT, views.request_detail, name="request"
    ),
    re_path(r"^v2/tokens/(?P<token>[\w-]{1,60})" + FMT, views.token, name="token"),
    path("keys/", views.keys_page, name="keys"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
]

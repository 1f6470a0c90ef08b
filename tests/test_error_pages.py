"""Error pages speak Chinese, sit in the site's layout and offer a way back, with DEBUG off:
404, 403 (PermissionDenied and a failed CSRF check), 400 and a 500 rendered without a request
context."""

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.views.defaults import server_error

ENGLISH = ["Not Found", "Forbidden", "Bad Request", "Server Error", "CSRF verification"]


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def _chinese_page(response, status: int, *texts: str) -> str:
    assert response.status_code == status
    html = response.content.decode()
    for text in texts:
        assert text in html
    for word in ENGLISH:
        assert word not in html
    return html


def test_404_is_chinese_in_the_layout_with_a_way_home(client, world):
    client.force_login(world.users.resident_a)
    html = _chinese_page(client.get("/no-such-page/"), 404, "页面不存在", "返回首页")
    assert 'class="tabbar"' in html  # the site's layout, navigation included
    assert 'href="/"' in html


def test_404_for_anonymous_visitors_too(client, db):
    _chinese_page(client.get("/no-such-page/"), 404, "页面不存在", "返回首页")


def test_403_from_permission_denied(client, world):
    client.force_login(world.users.resident_a)
    html = _chinese_page(client.get("/points/desk/"), 403, "没有权限", "返回首页")
    assert "社区居委会" in html


def test_403_when_a_resident_asks_for_an_export(client, world):
    client.force_login(world.users.resident_a)
    _chinese_page(client.get("/partners/", {"format": "xlsx"}), 403, "没有权限")


def test_csrf_failure_explains_in_chinese(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.resident_a)
    response = client.post("/accounts/logout/")
    _chinese_page(response, 403, "页面已过期", "刷新", "返回首页")


def test_400_for_a_request_django_refuses(client, db, settings):
    settings.ALLOWED_HOSTS = ["gongzhi.example"]
    response = client.get("/", HTTP_HOST="evil.example")
    _chinese_page(response, 400, "请求无法处理", "返回首页")


def test_500_needs_no_request_context():
    html = render_to_string("500.html")
    assert "系统出错了" in html and 'href="/"' in html and "<style>" in html
    response = server_error(RequestFactory().get("/"))
    _chinese_page(response, 500, "系统出错了", "返回首页")

"""The to-do on the home page and on /todo/, and the navigation badge's context processor."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from gongzhi.matters.models import Status
from gongzhi.todo.context import todo_count as todo_count_processor
from gongzhi.todo.selectors import KINDS, todo_count
from tests.conftest import login
from tests.factories_matters import make_matter


def late(text, building):
    matter = make_matter(text=text, building=building, status=Status.ASSIGNED)
    matter.due_at = timezone.now() - dt.timedelta(days=1)
    matter.save(update_fields=["due_at"])
    return matter


def page(client, user, url, **params):
    login(client, user)
    response = client.get(url, params)
    return response, response.content.decode()


def test_home_opens_with_the_to_do_cards_above_the_registry(client, world):
    overdue = late("一号楼楼道堆物", world.y1)
    make_matter(text="一号楼路灯不亮", building=world.y1)
    make_matter(text="二号楼漏水", building=world.y2)  # another grid
    response, body = page(client, world.users.grid_a1, reverse("core:home"))
    assert response.status_code == 200
    assert "尽快办结：一号楼楼道堆物" in body and "请响应：一号楼路灯不亮" in body
    assert "二号楼漏水" not in body
    assert f'href="{reverse("matters:detail", args=[overdue.pk])}"' in body
    assert body.index("todo-cards") < body.index("registry-summary")
    assert response.context["todo_count"]() == 2  # the badge's count, for templates that ask


def test_home_of_a_resident_asks_for_feedback(client, world):
    make_matter(text="我家门口的灯修好了吗", building=world.y1, reporter=world.res_a, status="done")
    _response, body = page(client, world.users.resident_a, reverse("core:home"))
    assert "已办结，请评价：我家门口的灯修好了吗" in body
    assert "待评价" in body  # the kind's label


def test_home_says_when_nothing_waits(client, world):
    _response, body = page(client, world.users.partner_a, reverse("core:home"))
    assert "眼下没有待办事项。" in body


def test_todo_page_filters_by_kind_and_keeps_every_count(client, world):
    late("一号楼楼道堆物", world.y1)
    make_matter(text="一号楼路灯不亮", building=world.y1)
    url = reverse("todo:list")
    response, body = page(client, world.users.grid_a1, url, kind="matter_ack")
    assert response.status_code == 200
    assert "请响应：一号楼路灯不亮" in body and "一号楼楼道堆物" not in body
    # The chips still count every kind, and link to each.
    assert f'href="{url}?kind=matter_overdue"' in body
    assert response.context["todo_kinds"] == [
        ("matter_overdue", KINDS["matter_overdue"], 1),
        ("matter_ack", KINDS["matter_ack"], 1),
    ]


def test_todo_page_speaks_chinese_only(client, world):
    late("一号楼楼道堆物", world.y1)
    _response, body = page(client, world.users.grid_a1, reverse("todo:list"))
    for english in ("Overdue", "To acknowledge", "Finish it now", "Late since", "To-do"):
        assert english not in body
    assert "超时" in body and "待办" in body


def test_todo_page_refuses_an_unknown_kind_in_chinese(client, world):
    response, body = page(client, world.users.staff_a, reverse("todo:list"), kind="everything")
    assert response.status_code == 400
    assert "没有这种待办类别。" in body


def test_todo_page_needs_a_login(client, world):
    response = client.get(reverse("todo:list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_badge_is_counted_only_when_a_template_asks_and_once(rf, world, django_assert_num_queries):
    late("一号楼楼道堆物", world.y1)
    request = rf.get("/")
    request.user = world.users.grid_a1
    with django_assert_num_queries(0):
        count = todo_count_processor(request)["todo_count"]
    assert count() == todo_count(world.users.grid_a1) == 1
    with django_assert_num_queries(0):
        assert count() == 1


def test_no_badge_for_anonymous_visitors(rf):
    request = rf.get("/")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    assert todo_count_processor(request) == {}

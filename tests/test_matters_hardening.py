"""Issue 12's defects in matters, on the web and over the API:

* (2) a submit the submitter could not follow is refused before anything is written (403
  ``not_in_scope``): a grid worker outside their grid, a partner away from their own place; a
  retry creates nothing either. What they may submit, they may read afterwards.
* (6) fields a role may not set (``priority``, ``tier``, ``category``, ``channel``) are refused
  (403 ``field_not_allowed``, the same words on web and API), per role.
* (1) free text is cleaned of control characters at the door.
"""

import pytest
from django.urls import reverse

from gongzhi.matters.models import Matter, MatterEvent, SubmitKey
from gongzhi.notifications.models import Notification
from tests.conftest import login

URL = "/api/v1/matters"
BELL = "\u0007"


def api_submit(client, user, world, *, where, key=None, **fields):
    client.force_login(user)
    payload = {"text": "楼道灯坏了", "channel": "grid_visit", "place": where, **fields}
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(URL, payload, content_type="application/json", headers=headers)


def nothing_written() -> bool:
    return not (
        Matter.objects.exists()
        or MatterEvent.objects.exists()
        or SubmitKey.objects.exists()
        or Notification.objects.exists()
    )


def refused(response, status: int, code: str, words: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and words in body["message"], body


# ---- (2) outside what the submitter may follow ---------------------------------------------


@pytest.mark.parametrize(
    ("who", "where", "words"),
    [
        ("grid_a1", "building:{y2}", "本网格"),  # 渔家苑 2栋 is grid A2
        ("grid_a1", "building:{j1}", "本网格"),
        ("grid_a1", "household:{h_y2}", "本网格"),
        ("grid_a1", "compound:{jinxiu}", "本网格"),  # no building of grid A1 there
        ("partner_a", "building:{y2}", "合作伙伴"),  # anchored at 渔家苑 1栋
        ("partner_a", "compound:{yujia}", "合作伙伴"),
    ],
)
def test_api_refuses_before_writing_and_a_retry_creates_nothing(client, world, who, where, words):
    ids = {name: getattr(world, name).pk for name in ("y2", "j1", "h_y2", "jinxiu", "yujia")}
    user = getattr(world.users, who)
    for _attempt in range(2):
        response = api_submit(client, user, world, where=where.format(**ids), key="retry-1")
        refused(response, 403, "not_in_scope", words)
        assert nothing_written()


@pytest.mark.parametrize(
    ("who", "where"),
    [
        ("grid_a1", "building:{y1}"),
        ("grid_a1", "compound:{yujia}"),  # the public area around 1栋 (grid A1)
        ("partner_a", "building:{y1}"),  # their own building
    ],
)
def test_what_they_may_submit_they_may_read(client, world, who, where):
    where = where.format(y1=world.y1.pk, yujia=world.yujia.pk)
    user = getattr(world.users, who)
    first = api_submit(client, user, world, where=where, key="k")
    assert first.status_code == 201, first.content
    retry = api_submit(client, user, world, where=where, key="k")
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    assert Matter.objects.count() == 1
    assert client.get(f"{URL}/{first.json()['id']}").status_code == 200


def intake(client, user, world, **overrides):
    login(client, user)
    data = {
        "text": "楼道灯坏了",
        "channel": "grid_visit",
        "community": world.a.pk,
        "compound": world.yujia.pk,
        "building": world.y2.pk,
        "household": "",
        "reporter": "",
        "reporter_name": "",
        "reporter_contact": "",
        "priority": "normal",
        **overrides,
    }
    return client.post(reverse("matters:new"), data)


@pytest.mark.parametrize(("who", "words"), [("grid_a1", "本网格"), ("partner_a", "合作伙伴")])
def test_web_intake_refuses_outside_and_writes_nothing(client, world, who, words):
    user = getattr(world.users, who)
    for _attempt in range(2):
        response = intake(client, user, world)
        assert response.status_code == 400
        assert words in response.content.decode()
        assert nothing_written()
    ok = intake(client, user, world, building=world.y1.pk)
    matter = Matter.objects.get()
    assert ok.status_code == 302 and ok.url == reverse("matters:detail", args=[matter.pk])
    assert client.get(ok.url).status_code == 200


# ---- (6) fields a role may not set ---------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "fields", "names"),
    [
        ("resident_a", {"priority": "urgent"}, "紧急程度"),
        ("resident_a", {"tier": "hard"}, "分级"),
        ("resident_a", {"category": "safety"}, "类别"),
        ("resident_a", {"channel": "walk_in"}, "渠道"),
        ("resident_a", {"channel": "walk_in", "priority": "urgent", "tier": "hard"}, "渠道、"),
        ("partner_a", {"tier": "hard"}, "分级"),
        ("partner_a", {"category": "safety"}, "类别"),
    ],
)
def test_api_refuses_fields_the_role_may_not_set(client, world, who, fields, names):
    payload = {"channel": "online_web", **fields}
    response = api_submit(
        client, getattr(world.users, who), world, where=f"building:{world.y1.pk}", **payload
    )
    refused(response, 403, "field_not_allowed", names)
    assert "不能设置" in response.json()["message"]
    assert nothing_written()


@pytest.mark.parametrize(
    ("who", "fields"),
    [
        ("resident_a", {"channel": "online_wechat"}),
        ("resident_a", {"channel": "online_web", "priority": "normal"}),
        ("partner_a", {"channel": "walk_in", "priority": "urgent"}),
        ("grid_a1", {"priority": "urgent", "tier": "hard", "category": "safety"}),
        ("staff_a", {"channel": "walk_in", "priority": "urgent", "tier": "big"}),
    ],
)
def test_api_takes_the_fields_the_role_may_set(client, world, who, fields):
    response = api_submit(
        client, getattr(world.users, who), world, where=f"building:{world.y1.pk}", **fields
    )
    assert response.status_code == 201, response.content
    matter = Matter.objects.get()
    for name, value in fields.items():
        assert getattr(matter, name) == value


@pytest.mark.parametrize(
    "fields",
    [{"priority": "urgent"}, {"tier": "hard"}, {"category": "safety"}, {"channel": "walk_in"}],
)
def test_the_residents_report_page_refuses_the_same_fields(client, world, fields):
    login(client, world.users.resident_a)
    response = client.post(
        reverse("matters:report"),
        {"text": "楼道灯坏了", "where": f"building:{world.y1.pk}", **fields},
    )
    assert response.status_code == 400
    assert "不能设置事项的以下字段" in response.content.decode()
    assert nothing_written()


def test_a_partners_intake_refuses_a_classification(client, world):
    response = intake(client, world.users.partner_a, world, building=world.y1.pk, tier="hard")
    assert response.status_code == 400
    assert "不能设置事项的以下字段：分级" in response.content.decode()
    assert nothing_written()


# ---- (1) control characters ----------------------------------------------------------------


def test_api_cleans_control_characters_at_the_door(client, world):
    response = api_submit(
        client,
        world.users.resident_a,
        world,
        where=f"building:{world.y1.pk}",
        channel="online_web",
        text="楼道灯坏了" + BELL,
        reporter_name="王" + BELL,
    )
    assert response.status_code == 201, response.content
    matter = Matter.objects.get()
    assert matter.text == "楼道灯坏了"
    client.force_login(world.users.staff_a)
    acknowledged = client.post(
        f"{URL}/{matter.pk}/acknowledge",
        {"note": "收到" + BELL + "\x1b"},
        content_type="application/json",
    )
    assert acknowledged.status_code == 200, acknowledged.content
    assert matter.events.get(action="acknowledge").note == "收到"


def test_web_forms_clean_control_characters(client, world):
    login(client, world.users.resident_a)
    response = client.post(
        reverse("matters:report"), {"text": "楼道灯坏了" + BELL, "where": f"building:{world.y1.pk}"}
    )
    assert response.status_code == 302
    matter = Matter.objects.get()
    assert matter.text == "楼道灯坏了"
    login(client, world.users.staff_a)
    client.post(
        reverse("matters:act", args=[matter.pk, "reject"]), {"reason": "重复" + BELL + "\x7f"}
    )
    matter.refresh_from_db()
    assert matter.status == "rejected" and matter.closing_reason == "重复"

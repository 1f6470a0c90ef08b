"""On-the-spot handling (当场办结) and handling a small matter in one step (办结).

A grid worker (or staff) records a small matter they already handled: one submit, owned by them,
done (closed unrated when nobody can be asked for feedback). Refusals — a resident or partner,
a big matter, a building outside the grid worker's grid, no note — say why in Chinese and write
nothing. After acknowledging a small matter of their grid, the grid worker can finish it.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gongzhi.matters import services as s
from gongzhi.matters.models import Matter, MatterEvent, MatterOwner, MatterPhoto, Status
from gongzhi.matters.services import MatterError
from gongzhi.notifications.models import Notification
from tests.conftest import login

URL = "/api/v1/matters"
# Photos are checked by content: a JPEG starts with these bytes.
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def on_spot(client, user, world, **fields):
    client.force_login(user)
    payload = {
        "text": "1栋门口电动车乱停，已挪开",
        "channel": "grid_visit",
        "place": f"building:{world.y1.pk}",
        "tier": "small",
        "category": "parking",
        "handled_on_spot": True,
        "resolution_note": "已把电动车挪到车棚，并提醒了车主",
        **fields,
    }
    return client.post(URL, payload, content_type="application/json")


def nothing_written() -> bool:
    return not (Matter.objects.exists() or MatterEvent.objects.exists())


def test_grid_worker_records_a_handled_matter_in_one_step(client, world):
    response = on_spot(client, world.users.grid_a1, world, reporter_id=world.res_a.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    matter = Matter.objects.get()
    assert body["status"] == "done" and matter.status == Status.DONE
    assert matter.done_at and matter.acknowledged_at and matter.assigned_at
    owner = MatterOwner.objects.get(matter=matter)
    assert owner.user == world.users.grid_a1 and owner.active
    assert body["owners"][0]["kind"] == "user"
    events = list(matter.events.values_list("action", "from_status", "to_status", "note"))
    assert events == [
        ("submit", "", "received", ""),
        ("handle_on_spot", "received", "done", "已把电动车挪到车棚，并提醒了车主"),
    ]
    assert body["events"][1]["action_label"] == "当场办结"
    # The reporter has an account: they are asked for feedback, and can give it.
    assert Notification.objects.filter(user=world.users.resident_a, kind="matter_done").exists()
    s.matter_feedback(actor=world.users.resident_a, matter=matter, satisfaction="satisfied")
    assert Matter.objects.get().status == Status.CLOSED


def test_without_anyone_to_ask_the_matter_is_closed_unrated(client, world):
    response = on_spot(client, world.users.staff_a, world)
    assert response.status_code == 201, response.content
    matter = Matter.objects.get()
    assert matter.status == Status.CLOSED and matter.closed_at and not matter.satisfaction
    assert list(matter.events.values_list("action", flat=True)) == [
        "submit",
        "handle_on_spot",
        "close_unrated",
    ]
    assert matter.owners.get().user == world.users.staff_a


def test_an_anonymous_reporter_with_a_phone_is_asked(client, world):
    response = on_spot(client, world.users.grid_a1, world, reporter_contact="13911112222")
    assert response.status_code == 201, response.content
    assert Matter.objects.get().status == Status.DONE


@pytest.mark.parametrize(
    ("who", "fields", "code", "words"),
    [
        ("resident_a", {}, "forbidden", "只有网格员和社区工作人员"),
        ("partner_a", {}, "forbidden", "只有网格员和社区工作人员"),
        ("grid_a1", {"tier": "big"}, "not_small", "只有小事"),
        ("grid_a1", {"tier": "hard"}, "not_small", "只有小事"),
        ("grid_a1", {"place": "building:{y2}"}, "unknown_place", "本网格"),
        ("grid_a1", {"place": "compound:{yujia}"}, "unknown_place", "本网格"),
        ("staff_b", {}, "unknown_place", "未知地点"),  # not even in their directory
        ("grid_a1", {"resolution_note": "   "}, "resolution_required", "怎么处理"),
    ],
)
def test_refused_claims_say_why_in_chinese_and_write_nothing(
    client, world, who, fields, code, words
):
    ids = {"y2": world.y2.pk, "yujia": world.yujia.pk}
    fields = {k: v.format(**ids) if isinstance(v, str) else v for k, v in fields.items()}
    response = on_spot(client, getattr(world.users, who), world, **fields)
    assert response.status_code in (400, 403), response.content
    body = response.json()
    assert body["code"] == code and words in body["message"], body
    assert nothing_written()


def test_the_classifiers_tier_decides_when_none_is_given(world, monkeypatch):
    monkeypatch.setattr(
        s,
        "suggest",
        lambda text: type("S", (), {"category": "safety", "tier": "hard", "confidence": 0.9}),
    )
    with pytest.raises(MatterError) as error:
        s.matter_submit(
            actor=world.users.grid_a1,
            text="楼体外墙开裂，有坠落风险",
            channel="grid_visit",
            place=s.resolve_place(building=world.y1),
            handled_on_spot=True,
            resolution_note="已拉警戒线",
        )
    assert error.value.code == "not_small" and nothing_written()


def test_web_intake_handles_on_the_spot_with_a_photo(client, world):
    login(client, world.users.grid_a1)
    page = client.get(reverse("matters:new")).content.decode()
    assert 'name="handled_on_spot"' in page and "当场办结" in page
    response = client.post(
        reverse("matters:new"),
        {
            "text": "1栋楼道堆放杂物，已清理",
            "channel": "grid_visit",
            "community": world.a.pk,
            "compound": world.yujia.pk,
            "building": world.y1.pk,
            "priority": "normal",
            "handled_on_spot": "on",
            "resolution_note": "和住户一起把杂物清走了",
            "photo": SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg"),
        },
    )
    matter = Matter.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert matter.owners.get().user == world.users.grid_a1
    assert matter.status in (Status.DONE, Status.CLOSED)
    assert MatterPhoto.objects.filter(matter=matter).count() == 1
    detail = client.get(reverse("matters:detail", args=[matter.pk])).content.decode()
    assert "当场办结" in detail and "和住户一起把杂物清走了" in detail


def test_web_intake_refusal_keeps_the_form_and_writes_nothing(client, world):
    login(client, world.users.grid_a1)
    response = client.post(
        reverse("matters:new"),
        {
            "text": "2栋门口垃圾没清",
            "channel": "grid_visit",
            "building": world.y2.pk,
            "compound": world.yujia.pk,
            "priority": "normal",
            "handled_on_spot": "on",
            "resolution_note": "已清理",
        },
    )
    assert response.status_code == 400
    assert "只能在本网格的楼栋当场办结事项" in response.content.decode()
    assert nothing_written()


def test_partners_and_residents_are_not_offered_on_the_spot_handling(client, world):
    login(client, world.users.partner_a)
    assert 'name="handled_on_spot"' not in client.get(reverse("matters:new")).content.decode()


# ---- handling an acknowledged small matter (办结) ---------------------------------------------


def submitted(world, *, tier="small", building=None):
    """A matter of resident_a's, with its tier: entered by staff, since a resident may not set
    the tier (issue 12, defect 6)."""
    return s.matter_submit(
        actor=world.users.staff_a,
        text="楼道灯坏了，晚上看不见",
        channel="online_web",
        place=s.resolve_place(building=building or world.y1),
        reporter=world.res_a,
        tier=tier,
        category="facilities",
    )


def test_grid_worker_acknowledges_then_handles_a_small_matter(client, world):
    matter = submitted(world)
    login(client, world.users.grid_a1)
    client.post(reverse("matters:act", args=[matter.pk, "acknowledge"]))
    page = client.get(reverse("matters:detail", args=[matter.pk])).content.decode()
    assert 'id="handle-form"' in page and "办结" in page
    client.post(reverse("matters:act", args=[matter.pk, "handle"]), {"note": "已换新灯泡"})
    matter.refresh_from_db()
    assert matter.status == Status.DONE and matter.done_at
    assert matter.owners.get(active=True).user == world.users.grid_a1
    last = matter.events.last()
    assert (last.action, last.from_status, last.note) == ("handle", "acknowledged", "已换新灯泡")
    assert Notification.objects.filter(user=world.users.resident_a, kind="matter_done").exists()


def test_grid_worker_finishes_an_assigned_small_matter_keeping_its_owner(world):
    matter = s.matter_assign(
        actor=world.users.staff_a, matter=submitted(world), owners=[world.p_neighbour]
    )
    s.matter_handle(actor=world.users.grid_a1, matter=matter, note="和楼栋长一起修好了")
    matter.refresh_from_db()
    assert matter.status == Status.DONE
    assert [o.partner for o in matter.owners.filter(active=True)] == [world.p_neighbour]


@pytest.mark.parametrize(
    ("tier", "building", "note", "code"),
    [
        ("big", "y1", "已处理", "not_small"),
        ("small", "y2", "已处理", "forbidden"),  # grid A2: not grid_a1's
        ("small", "y1", " ", "resolution_required"),
    ],
)
def test_handle_refusals_change_nothing(world, tier, building, note, code):
    matter = submitted(world, tier=tier, building=getattr(world, building))
    before = matter.events.count()
    with pytest.raises(MatterError) as error:
        s.matter_handle(actor=world.users.grid_a1, matter=matter, note=note)
    assert error.value.code == code
    matter.refresh_from_db()
    assert matter.status == Status.RECEIVED and matter.events.count() == before
    assert not matter.owners.filter(user__isnull=False).exists()


def test_grid_worker_is_not_offered_handling_of_a_big_matter(client, world):
    matter = submitted(world, tier="big")
    login(client, world.users.grid_a1)
    page = client.get(reverse("matters:detail", args=[matter.pk])).content.decode()
    assert 'id="handle-form"' not in page

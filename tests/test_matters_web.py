"""The matters pages through the personas' eyes: workbench, intake, the matter page and its
actions, the residents' phone pages, the inbox — and bad input that must change nothing."""

import io

import pytest
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gongzhi.matters import services as s
from gongzhi.matters.models import (
    Category,
    ClassificationCorrection,
    Matter,
    MatterEvent,
    MatterPhoto,
    Status,
    Tier,
)
from gongzhi.notifications.models import Notification
from tests.conftest import login
from tests.factories import make_user
from tests.helpers import PNG

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def english_and_private_media(settings, tmp_path):
    """Assert on English messages; keep uploaded photos out of the real media folder."""
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"


def html(response) -> str:
    return response.content.decode()


def submit(world, actor=None, *, text="1栋楼道灯坏了，晚上看不见", building=None, **kw):
    return s.matter_submit(
        actor=actor or world.users.staff_a,
        text=text,
        channel="grid_visit",
        place=s.resolve_place(building=building or world.y1),
        reporter=kw.pop("reporter", world.res_a),
        **kw,
    )


def to_status(matter, status, world):
    """Walk a matter through the services to ``status`` (received → … → done)."""
    staff = world.users.staff_a
    steps = {
        Status.ASSIGNED: lambda m: s.matter_assign(
            actor=staff, matter=m, owners=[world.p_neighbour]
        ),
        Status.IN_PROGRESS: lambda m: s.matter_start(actor=staff, matter=m),
        Status.DONE: lambda m: s.matter_complete(actor=staff, matter=m),
    }
    for step, move in steps.items():
        matter = move(matter)
        if step == status:
            break
    return matter


def act(client, user, matter, action, **data):
    login(client, user)
    return client.post(reverse("matters:act", args=[matter.pk, action]), data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def unchanged(matter) -> tuple:
    fresh = Matter.objects.get(pk=matter.pk)
    return fresh.status, fresh.category, fresh.tier, fresh.events.count(), fresh.owners.count()


# ---- pages render for the right personas ----------------------------------------------------


@pytest.mark.parametrize("persona", ["admin", "official", "staff_a", "grid_a1", "partner_a"])
def test_workbench_and_intake_render_for_staff_like_personas(client, world, persona):
    submit(world)
    login(client, getattr(world.users, persona))
    assert client.get(reverse("matters:list")).status_code == 200
    assert client.get(reverse("matters:new")).status_code == 200


def test_resident_is_sent_to_their_own_pages(client, world):
    login(client, world.users.resident_a)
    assert client.get(reverse("matters:list")).url == reverse("matters:mine")
    assert client.get(reverse("matters:new")).url == reverse("matters:report")
    assert client.get(reverse("matters:report")).status_code == 200


def test_staff_workbench_shows_own_community_only(client, world):
    mine = submit(world, text="渔家苑1栋楼道灯坏了")
    theirs = submit(
        world, world.users.staff_b, text="江南小区停车难", building=world.n1, reporter=world.res_b
    )
    login(client, world.users.staff_a)
    page = html(client.get(reverse("matters:list")))
    assert mine.text in page and theirs.text not in page


def test_grid_worker_sees_own_grid_only(client, world):
    in_grid = submit(world, text="渔家苑1栋楼道灯坏了")
    other_grid = submit(world, text="锦绣园1栋垃圾没人清", building=world.j1, reporter=world.res_j1)
    login(client, world.users.grid_a1)
    page = html(client.get(reverse("matters:list")))
    assert in_grid.text in page and other_grid.text not in page
    assert client.get(reverse("matters:detail", args=[other_grid.pk])).status_code == 404


def test_staff_b_cannot_open_a_matter_or_its_photo(client, world):
    matter = submit(world)
    photo = s.matter_add_photo(
        actor=world.users.staff_a, matter=matter, upload=_upload("p.png", PNG, "image/png")
    )
    login(client, world.users.staff_b)
    assert client.get(reverse("matters:detail", args=[matter.pk])).status_code == 404
    assert client.get(reverse("matters:photo", args=[matter.pk, photo.pk])).status_code == 404
    before = unchanged(matter)
    response = client.post(reverse("matters:act", args=[matter.pk, "acknowledge"]))
    assert response.status_code == 404 and unchanged(matter) == before


def test_resident_sees_only_own_matters(client, world):
    own = submit(world, text="我家楼道灯坏了")
    neighbour = submit(world, text="邻居家漏水", reporter=world.res_y1b)
    login(client, world.users.resident_a)
    page = html(client.get(reverse("matters:mine")))
    assert own.text in page and neighbour.text not in page
    assert client.get(reverse("matters:detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("matters:detail", args=[neighbour.pk])).status_code == 404


def test_resident_timeline_has_no_staff_controls_and_no_other_residents(client, world):
    own = submit(world, text="1栋楼道灯坏了，晚上看不见")
    duplicate = submit(world, text="1栋楼道的灯坏了", reporter=world.res_y1b)
    s.matter_merge(actor=world.users.staff_a, matter=duplicate, into=own)
    login(client, world.users.resident_a)
    page = html(client.get(reverse("matters:detail", args=[own.pk])))
    assert "+1 other resident" in page
    assert "赵敏" not in page and "staff_a" not in page  # names of others stay hidden
    assert "community staff" in page  # …their roles are shown instead
    for control in ("classification", "assign", "duplicates", "acknowledge"):
        assert f'id="{control}"' not in page and f"/{control}/" not in page


def test_staff_sees_reporters_and_plus_n_on_the_workbench(client, world):
    own = submit(world)
    duplicate = submit(world, text="1栋楼道的灯坏了", reporter=world.res_y1b)
    s.matter_merge(actor=world.users.staff_a, matter=duplicate, into=own)
    login(client, world.users.staff_a)
    assert "+1 resident" in html(client.get(reverse("matters:list")))
    page = html(client.get(reverse("matters:detail", args=[own.pk])))
    assert "王建国" in page and "赵敏" in page


def test_partner_sees_owned_matters_without_reporters_names(client, world):
    owned = to_status(submit(world), Status.ASSIGNED, world)
    not_owned = submit(world, text="另一件事")
    login(client, world.users.partner_a)
    page = html(client.get(reverse("matters:list")))
    assert owned.text in page and not_owned.text not in page
    detail = html(client.get(reverse("matters:detail", args=[owned.pk])))
    assert "王建国 · " not in detail and "Start work" in detail


# ---- intake ---------------------------------------------------------------------------------


def _upload(name, content, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def intake(client, world, user=None, **overrides):
    login(client, user or world.users.staff_a)
    data = {
        "text": "渔家苑1栋门口的路灯坏了",
        "channel": "grid_visit",
        "community": world.a.pk,
        "compound": world.yujia.pk,
        "building": world.y1.pk,
        "household": "",
        "reporter": world.res_a.pk,
        "reporter_name": "",
        "reporter_contact": "",
        "priority": "normal",
    }
    data.update(overrides)
    return client.post(reverse("matters:new"), data)


def test_staff_takes_in_a_matter_with_photo(client, world):
    response = intake(client, world, photo=_upload("lamp.png", PNG, "image/png"))
    matter = Matter.objects.get()
    assert response.url == reverse("matters:detail", args=[matter.pk])
    assert matter.building == world.y1 and matter.reporter == world.res_a
    assert matter.entered_by == world.users.staff_a and matter.suggested_category
    photo = matter.photos.get()
    served = client.get(reverse("matters:photo", args=[matter.pk, photo.pk]))
    assert served["Content-Type"] == "image/png" and b"".join(served.streaming_content) == PNG


def test_grid_worker_takes_in_an_anonymous_matter_with_contact(client, world):
    intake(
        client,
        world,
        world.users.grid_a1,
        community="",
        compound="",
        household=world.h_y1b.pk,
        reporter="",
        reporter_name="热心群众",
        reporter_contact="13911112222",
    )
    matter = Matter.objects.get()
    assert matter.household == world.h_y1b and matter.building == world.y1
    assert matter.reporter is None and matter.reporter_contact == "13911112222"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("text", "", "Please describe the matter."),
        ("text", "   ", "Please describe the matter."),
        ("text", "灯" * 20_000, "at most 2000 characters"),
        ("building", "999999", "Select a valid choice"),
        ("reporter_contact", "12345", "Phone must be"),
    ],
)
def test_intake_refuses_bad_input_and_changes_nothing(client, world, field, value, message):
    response = intake(client, world, **{field: value})
    assert response.status_code == 400 and message in html(response)
    assert Matter.objects.count() == 0


def test_intake_refuses_no_place(client, world):
    response = intake(client, world, community="", compound="", building="")
    assert response.status_code == 400 and "Choose the place" in html(response)
    assert Matter.objects.count() == 0


def test_intake_refuses_a_place_of_another_community(client, world):
    response = intake(
        client, world, community=world.b.pk, compound=world.jiangnan.pk, building=world.n1.pk
    )
    assert response.status_code == 400 and Matter.objects.count() == 0
    # Staff of B cannot even name A's building: it is not among their choices.
    response = intake(client, world, world.users.staff_b, community="", compound="", reporter="")
    assert response.status_code == 400 and "Select a valid choice" in html(response)
    assert Matter.objects.count() == 0


def test_intake_refuses_a_non_image_photo(client, world):
    fake = _upload("lamp.jpg", b"MZ\x90\x00 this is not an image", "image/jpeg")
    response = intake(client, world, photo=fake)
    assert response.status_code == 400 and "JPEG, PNG or WebP" in html(response)
    assert Matter.objects.count() == 0 and MatterPhoto.objects.count() == 0


def test_a_30_mb_photo_is_refused_before_it_is_stored(client, world, settings, monkeypatch):
    """The size limit stops the upload after 5 MB: the rest never reaches a temporary file."""
    received = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def counting(self, raw_data, start):
        received.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counting)
    huge = _upload("huge.png", PNG + b"\x00" * (30 * MB), "image/png")
    login(client, world.users.resident_a)
    response = client.post(
        reverse("matters:report"),
        {"text": "楼下路灯坏了", "where": f"building:{world.y1.pk}", "photo": huge},
    )
    assert response.status_code == 400 and "at most 5 MB" in html(response)
    assert sum(received) <= 5 * MB
    assert Matter.objects.count() == 0 and MatterPhoto.objects.count() == 0
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(media.rglob("*"))


# ---- residents' pages -----------------------------------------------------------------------


def test_resident_reports_with_place_preset_to_their_building(client, world):
    login(client, world.users.resident_a)
    form = client.get(reverse("matters:report"))
    assert f'value="building:{world.y1.pk}" selected' in html(form)
    response = client.post(
        reverse("matters:report"),
        {
            "text": "楼道里堆满了杂物",
            "where": f"building:{world.y1.pk}",
            "photo": _upload("a.png", PNG, "image/png"),
        },
    )
    matter = Matter.objects.get()
    assert response.url == reverse("matters:detail", args=[matter.pk])
    assert matter.reporter == world.res_a and matter.building == world.y1
    assert matter.channel == "online_web" and matter.photos.count() == 1


def test_resident_cannot_report_for_a_place_not_offered(client, world):
    login(client, world.users.resident_a)
    response = client.post(
        reverse("matters:report"), {"text": "江南小区停车难", "where": f"building:{world.n1.pk}"}
    )
    assert response.status_code == 400 and "Choose one of the places offered" in html(response)
    assert Matter.objects.count() == 0


def test_suggestion_endpoint_shows_category_tier_and_confidence(client, world):
    login(client, world.users.resident_a)
    response = client.post(reverse("matters:suggest"), {"text": "小区里有人遛狗不拴绳"})
    suggestion = s.suggest("小区里有人遛狗不拴绳")
    page = html(response)
    assert f"<b>{Category(suggestion.category).label}</b>" in page
    assert f"<b>{Tier(suggestion.tier).label}</b>" in page
    assert "confidence" in page and f"{round(suggestion.confidence * 100)}%" in page
    assert "Type the matter" in html(client.post(reverse("matters:suggest"), {"text": ""}))


# ---- actions --------------------------------------------------------------------------------


def test_grid_worker_acknowledges(client, world):
    matter = submit(world)
    response = act(client, world.users.grid_a1, matter, "acknowledge", note="已到现场")
    matter.refresh_from_db()
    assert matter.status == Status.ACKNOWLEDGED and "Acknowledged." in messages_of(response)
    assert matter.events.last().actor == world.users.grid_a1


def test_staff_accepts_the_suggestion_in_one_click(client, world):
    matter = submit(world, category="other", tier="hard")
    login(client, world.users.staff_a)
    page = html(client.get(reverse("matters:detail", args=[matter.pk])))
    assert "Accept suggestion" in page
    act(
        client,
        world.users.staff_a,
        matter,
        "classify",
        category=matter.suggested_category,
        tier=matter.suggested_tier,
    )
    matter.refresh_from_db()
    assert matter.classification_confirmed
    assert (matter.category, matter.tier) == (matter.suggested_category, matter.suggested_tier)
    correction = ClassificationCorrection.objects.get(matter=matter)
    assert not correction.changed and correction.by == world.users.staff_a


def test_staff_corrects_the_classification(client, world):
    matter = submit(world)
    act(client, world.users.staff_a, matter, "classify", category="safety", tier="big")
    correction = ClassificationCorrection.objects.get(matter=matter)
    assert (correction.category, correction.tier) == ("safety", "big")


def test_bad_classification_is_refused(client, world):
    matter = submit(world)
    before = unchanged(matter)
    response = act(client, world.users.staff_a, matter, "classify", category="nonsense", tier="big")
    assert "Select a valid choice" in " ".join(messages_of(response))
    assert unchanged(matter) == before and not ClassificationCorrection.objects.exists()


def test_assign_offers_candidates_and_assigns_in_one_click(client, world):
    matter = submit(world)
    login(client, world.users.staff_a)
    page = html(client.get(reverse("matters:detail", args=[matter.pk])))
    value = f"partner:{world.p_neighbour.pk}"
    assert f'data-owner="{value}"' in page
    response = act(client, world.users.staff_a, matter, "assign", owners=value)
    matter.refresh_from_db()
    assert matter.status == Status.ASSIGNED
    assert matter.owners.get(active=True).partner == world.p_neighbour
    assert Notification.objects.filter(user=world.users.partner_a, kind="matter_assigned").exists()
    assert any("王建国" in m for m in messages_of(response))


def test_assign_to_an_owner_of_another_community_is_refused(client, world):
    matter = submit(world)
    before = unchanged(matter)
    response = act(client, world.users.staff_a, matter, "assign", owners=f"team:{world.team_b.pk}")
    assert messages_of(response) and unchanged(matter) == before
    response = act(client, world.users.staff_a, matter, "assign", owners="nobody:1")
    assert "One of the chosen entries cannot be chosen here." in messages_of(response)
    assert unchanged(matter) == before


def test_owner_starts_and_completes(client, world):
    matter = to_status(submit(world), Status.ASSIGNED, world)
    act(client, world.users.partner_a, matter, "start")
    act(client, world.users.partner_a, matter, "complete", note="灯已换好")
    matter.refresh_from_db()
    assert matter.status == Status.DONE
    assert Notification.objects.filter(user=world.users.resident_a, kind="matter_done").exists()


def test_a_transition_from_the_wrong_state_shows_an_error_and_changes_nothing(client, world):
    matter = submit(world)
    before = unchanged(matter)
    response = act(client, world.users.staff_a, matter, "complete")
    assert any("cannot be" in m for m in messages_of(response))
    assert unchanged(matter) == before
    response = act(client, world.users.staff_a, matter, "deliberate")
    assert unchanged(matter) == before and messages_of(response)


def test_actions_and_reports_still_check_the_csrf_token(world):
    matter = submit(world)
    client = Client(enforce_csrf_checks=True)
    login(client, world.users.staff_a)
    response = client.post(reverse("matters:act", args=[matter.pk, "acknowledge"]))
    assert response.status_code == 403
    assert Matter.objects.get(pk=matter.pk).status == Status.RECEIVED
    login(client, world.users.resident_a)
    response = client.post(
        reverse("matters:report"), {"text": "楼道灯坏了", "where": f"building:{world.y1.pk}"}
    )
    assert response.status_code == 403 and Matter.objects.count() == 1


def test_unknown_action_is_not_found(client, world):
    matter = submit(world)
    login(client, world.users.staff_a)
    response = client.post(reverse("matters:act", args=[matter.pk, "explode"]))
    assert response.status_code == 404


def test_grid_worker_cannot_assign(client, world):
    matter = submit(world)
    before = unchanged(matter)
    response = act(
        client, world.users.grid_a1, matter, "assign", owners=f"partner:{world.p_neighbour.pk}"
    )
    assert "You may not do this with this matter." in messages_of(response)
    assert unchanged(matter) == before


def test_reject_needs_a_reason(client, world):
    matter = submit(world)
    before = unchanged(matter)
    act(client, world.users.staff_a, matter, "reject", reason="")
    assert unchanged(matter) == before
    act(client, world.users.staff_a, matter, "reject", reason="不属于社区事务")
    assert Matter.objects.get(pk=matter.pk).status == Status.REJECTED


def test_merge_into_a_suggested_duplicate(client, world):
    first = submit(world, text="1栋楼道灯坏了，晚上看不见")
    second = submit(world, text="1栋楼道灯坏了，晚上看不见路", reporter=world.res_y1b)
    login(client, world.users.staff_a)
    page = html(client.get(reverse("matters:detail", args=[second.pk])))
    assert f'name="into" value="{first.pk}"' in page
    act(client, world.users.staff_a, second, "merge", into=first.pk)
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into == first


# ---- feedback -------------------------------------------------------------------------------


def test_resident_gives_feedback_and_the_matter_closes(client, world):
    matter = to_status(submit(world), Status.DONE, world)
    login(client, world.users.resident_a)
    page = html(client.get(reverse("matters:detail", args=[matter.pk])))
    assert 'name="satisfaction"' in page
    act(client, world.users.resident_a, matter, "feedback", satisfaction="basic", comment="还行")
    matter.refresh_from_db()
    assert (matter.status, matter.satisfaction, matter.feedback_comment) == (
        Status.CLOSED,
        "basic",
        "还行",
    )


def test_feedback_by_someone_who_is_not_a_reporter_is_refused(client, world):
    matter = to_status(submit(world), Status.DONE, world)
    before = unchanged(matter)
    response = act(client, world.users.staff_a, matter, "feedback", satisfaction="satisfied")
    assert "Only a reporter of this matter can give feedback." in messages_of(response)
    assert unchanged(matter) == before
    # Another resident of the same building cannot even see the matter.
    neighbour = make_user(
        "resident_y1b", role="resident", community=world.a, resident=world.res_y1b
    )
    login(client, neighbour)
    response = client.post(
        reverse("matters:act", args=[matter.pk, "feedback"]), {"satisfaction": "satisfied"}
    )
    assert response.status_code == 404 and unchanged(matter) == before


def test_feedback_before_done_or_without_a_choice_is_refused(client, world):
    matter = to_status(submit(world), Status.IN_PROGRESS, world)
    before = unchanged(matter)
    act(client, world.users.resident_a, matter, "feedback", satisfaction="satisfied")
    assert unchanged(matter) == before
    matter = to_status(Matter.objects.get(pk=matter.pk), Status.DONE, world)
    before = unchanged(matter)
    act(client, world.users.resident_a, matter, "feedback", satisfaction="")
    assert unchanged(matter) == before


# ---- place and reporter pickers -------------------------------------------------------------


def test_place_pickers_offer_only_places_in_reach(client, world):
    login(client, world.users.staff_a)
    url = reverse("matters:place_options", args=["buildings"])
    page = html(client.get(url, {"compound": world.yujia.pk}))
    assert f'value="{world.y1.pk}"' in page and f'value="{world.y2.pk}"' in page
    households = html(
        client.get(reverse("matters:place_options", args=["households"]), {"building": world.y1.pk})
    )
    assert "101" in households and "102" in households
    login(client, world.users.staff_b)
    assert f'value="{world.y1.pk}"' not in html(client.get(url, {"compound": world.yujia.pk}))
    assert client.get(reverse("matters:place_options", args=["units"])).status_code == 404


def test_reporter_search_stays_in_registry_reach(client, world):
    url = reverse("matters:reporter_options")
    login(client, world.users.staff_a)
    assert "王建国" in html(client.get(url, {"reporter_q": "王"}))
    login(client, world.users.staff_b)
    assert "王建国" not in html(client.get(url, {"reporter_q": "王"}))
    login(client, world.users.partner_a)
    assert "王建国" not in html(client.get(url, {"reporter_q": "王"}))


# ---- inbox ----------------------------------------------------------------------------------


def test_inbox_lists_unread_first_and_marks_read(client, world):
    matter = to_status(submit(world), Status.DONE, world)
    user = world.users.resident_a
    old = Notification.objects.create(user=user, kind="x", title="旧通知", link="/")
    done = Notification.objects.get(user=user, kind="matter_done")
    Notification.objects.filter(pk=old.pk).update(read_at=done.created_at)
    login(client, user)
    page = html(client.get(reverse("notifications:inbox")))
    assert page.index(done.title) < page.index("旧通知")
    response = client.post(reverse("notifications:read", args=[done.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "标为已读" not in html(response)
    done.refresh_from_db()
    assert done.read_at is not None
    opened = client.get(reverse("notifications:open", args=[done.pk]))
    assert opened.url == f"/matters/{matter.pk}/"


def test_inbox_is_private(client, world):
    note = Notification.objects.create(user=world.users.staff_a, kind="x", title="给 A 的通知")
    login(client, world.users.staff_b)
    assert "给 A 的通知" not in html(client.get(reverse("notifications:inbox")))
    assert client.post(reverse("notifications:read", args=[note.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_open_never_redirects_off_site(client, world):
    note = Notification.objects.create(
        user=world.users.staff_a, kind="x", title="t", link="//evil.example/"
    )
    login(client, world.users.staff_a)
    assert client.get(reverse("notifications:open", args=[note.pk])).url == reverse(
        "notifications:inbox"
    )


def test_mark_all_read(client, world):
    for number in range(3):
        Notification.objects.create(user=world.users.staff_a, kind="x", title=f"n{number}")
    login(client, world.users.staff_a)
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(user=world.users.staff_a, read_at=None).exists()


# ---- list: filters, export, query counts ----------------------------------------------------


def test_filters_narrow_the_workbench(client, world):
    lamp = submit(world, text="楼道灯坏了", category="facilities", tier="small")
    dog = submit(world, text="遛狗不拴绳", category="pets", tier="small")
    s.matter_acknowledge(actor=world.users.staff_a, matter=dog)
    login(client, world.users.staff_a)
    page = html(client.get(reverse("matters:list"), {"category": "pets"}))
    assert dog.text in page and lamp.text not in page
    page = html(client.get(reverse("matters:list"), {"status": "received"}))
    assert lamp.text in page and dog.text not in page
    assert client.get(reverse("matters:list"), {"status": "bogus"}).status_code == 400
    assert client.get(reverse("matters:list"), {"place": "compound:x"}).status_code == 400


def test_overdue_flag_and_filter(client, world):
    late = submit(world, text="早就该修好的灯")
    Matter.objects.filter(pk=late.pk).update(due_at=late.created_at.replace(year=2000))
    fresh = submit(world, text="刚报的事")
    login(client, world.users.staff_a)
    page = html(client.get(reverse("matters:list"), {"overdue": "1"}))
    assert late.text in page and fresh.text not in page and "overdue" in page


def test_export_has_chinese_headers_and_only_visible_rows(client, world):
    submit(world, text="渔家苑的事")
    submit(world, world.users.staff_b, text="江南的事", building=world.n1, reporter=world.res_b)
    login(client, world.users.staff_a)
    response = client.get(reverse("matters:list"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("编号", "提交时间", "渠道", "诉求内容")
    assert [row[3] for row in rows[1:]] == ["渔家苑的事"]
    assert "王建国" not in str(rows)  # no reporter names in the export


def test_workbench_query_count_does_not_grow(client, world, django_assert_num_queries):
    for number in range(2):
        to_status(submit(world, text=f"事项{number}"), Status.ASSIGNED, world)
    login(client, world.users.staff_a)
    url = reverse("matters:list")
    # session, user, profile, unread count, matters count, rows, owners prefetch, 4 place lists
    with django_assert_num_queries(11):
        client.get(url)
    for number in range(6):
        to_status(submit(world, text=f"更多事项{number}"), Status.ASSIGNED, world)
    with django_assert_num_queries(11):
        client.get(url)


def test_history_shows_every_change_with_its_actor(client, world):
    matter = to_status(submit(world), Status.DONE, world)
    login(client, world.users.staff_a)
    page = html(client.get(reverse("matters:detail", args=[matter.pk])))
    for label in ("submitted", "assigned", "work started", "completed"):
        assert label in page
    events = MatterEvent.objects.filter(matter=matter)
    assert page.count("<time ") == events.count()
    assert set(events.values_list("action", flat=True)) >= {"submit", "assign", "start", "complete"}
    assert "you" in page

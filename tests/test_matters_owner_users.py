"""Grid workers and community staff as a matter's owners; residents' reach; staff told of new
reports; the matter page in Chinese words only, with a pinned number of queries."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.accounts.models import UserRole
from gongzhi.matters import rules
from gongzhi.matters import services as s
from gongzhi.matters.models import Matter, MatterOwner, MatterPhoto, Status
from gongzhi.matters.services import MatterError
from gongzhi.matters.sweep import mark_overdue
from gongzhi.notifications.models import Notification
from tests.conftest import login
from tests.factories import make_user
from tests.factories_matters import make_matter

URL = "/api/v1/matters"


def submit(world, *, actor=None, resident=False, **place):
    """Staff (or ``actor``) enter a small facilities matter; ``resident``: a resident reports
    it themselves, online and leaving the classification to the classifier (issue 12, 6)."""
    classified = (
        {"channel": "online_web"}
        if resident
        else {
            "channel": "grid_visit",
            "tier": "small",
            "category": "facilities",
        }
    )
    return s.matter_submit(
        actor=actor or world.users.staff_a,
        text="锦绣园门口路灯不亮",
        place=s.resolve_place(**(place or {"compound": world.jinxiu})),
        **classified,
    )


def test_a_grid_worker_owns_a_matter_outside_their_grid_sees_and_handles_it(world):
    grid = world.users.grid_a1
    matter = submit(world)  # 锦绣园: not in grid A1, so grid_a1 cannot see it yet
    assert not rules.in_reach(grid, matter)
    s.matter_assign(actor=world.users.staff_a, matter=matter, owners=[grid])
    assert MatterOwner.objects.get(matter=matter, active=True).user == grid
    assert rules.in_reach(grid, matter) and rules.is_owner(grid, matter)
    assert Notification.objects.filter(user=grid, kind="matter_assigned").exists()
    assert list(rules.matters_visible(grid, Matter.objects.filter(pk=matter.pk))) == [matter]
    s.matter_start(actor=grid, matter=matter)
    s.matter_complete(actor=grid, matter=matter, note="已报修换灯")
    assert Matter.objects.get(pk=matter.pk).status == Status.DONE
    assert grid in s.owner_users(matter)


def test_a_replaced_user_owner_no_longer_sees_the_matter(world):
    grid = world.users.grid_a1
    matter = s.matter_assign(actor=world.users.staff_a, matter=submit(world), owners=[grid])
    s.matter_assign(actor=world.users.staff_a, matter=matter, owners=[world.users.staff_a])
    matter.refresh_from_db()
    assert not rules.in_reach(grid, matter) and matter.bounce_count == 1


@pytest.mark.parametrize("who", ["staff_b", "partner_a", "official", "grid_b"])
def test_only_staff_and_grid_workers_of_the_community_can_own(world, who):
    if who == "grid_b":
        account = make_user("grid_b1", role=UserRole.GRID_WORKER, grid=world.grid_b1)
    else:
        account = getattr(world.users, who)
    matter = submit(world)
    with pytest.raises(MatterError) as error:
        s.matter_assign(actor=world.users.staff_a, matter=matter, owners=[account])
    assert error.value.code == "invalid_owner" and "不在本社区工作" in error.value.message
    assert not matter.owners.exists() and Matter.objects.get().status == Status.RECEIVED


def test_api_assigns_user_owners_and_shows_them_by_name(client, world):
    world.users.grid_a1.first_name = "陈艳"
    world.users.grid_a1.save()
    matter = submit(world)
    client.force_login(world.users.staff_a)
    response = client.post(
        f"{URL}/{matter.pk}/assign",
        {"user_ids": [world.users.grid_a1.pk], "partner_ids": [world.p_neighbour.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    owners = {(o["kind"], o["name"]) for o in response.json()["owners"]}
    assert owners == {("user", "陈艳 · 网格员"), ("partner", "王建国")}
    other = make_user("grid_b1", role=UserRole.GRID_WORKER, grid=world.grid_b1)
    refused = client.post(
        f"{URL}/{matter.pk}/assign", {"user_ids": [other.pk]}, content_type="application/json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_owner"
    assert matter.owners.filter(active=True).count() == 2


def test_web_picker_assigns_several_owners_at_once(client, world):
    matter = submit(world)
    login(client, world.users.staff_a)
    page = client.get(reverse("matters:detail", args=[matter.pk])).content.decode()
    assert 'data-picker data-name="owners"' in page and '<select name="owner"' not in page
    values = [f"user:{world.users.grid_a1.pk}", f"team:{world.team_a.pk}"]
    client.post(reverse("matters:act", args=[matter.pk, "assign"]), {"owners": values})
    owners = matter.owners.filter(active=True)
    assert {(o.user_id, o.team_id) for o in owners} == {
        (world.users.grid_a1.pk, None),
        (None, world.team_a.pk),
    }
    # Someone outside the staff member's reach: refused, nothing changes.
    before = list(owners.values_list("pk", flat=True))
    other = make_user("grid_b1", role=UserRole.GRID_WORKER, grid=world.grid_b1)
    response = client.post(
        reverse("matters:act", args=[matter.pk, "assign"]),
        {"owners": [f"user:{other.pk}"]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]]
    assert list(matter.owners.filter(active=True).values_list("pk", flat=True)) == before


# ---- residents' reach and staff's inbox -----------------------------------------------------


def test_resident_reports_at_another_building_of_their_community(client, world):
    login(client, world.users.resident_a)
    page = client.get(reverse("matters:report")).content.decode()
    assert "<optgroup" in page and f'value="building:{world.j1.pk}"' in page
    assert f'value="building:{world.n1.pk}"' not in page  # another community
    response = client.post(
        reverse("matters:report"),
        {"text": "锦绣园1栋门口井盖松动", "where": f"building:{world.j1.pk}"},
    )
    assert response.status_code == 302
    matter = Matter.objects.get()
    assert matter.building == world.j1 and matter.reporter == world.res_a


def test_resident_cannot_report_in_another_community_or_household(world):
    for place in ({"building": world.n1}, {"household": world.h_y1b}):
        with pytest.raises(MatterError) as error:
            s.matter_submit(
                actor=world.users.resident_a,
                text="路灯不亮",
                channel="online_web",
                place=s.resolve_place(**place),
            )
        assert error.value.message == "居民只能反映本社区的事项。"
    assert not Matter.objects.exists()


def test_a_residents_report_notifies_the_communitys_staff_after_commit(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(world, actor=world.users.resident_a, resident=True, building=world.j1)
    inbox = Notification.objects.filter(kind="matter_new")
    assert [n.user for n in inbox] == [world.users.staff_a]
    assert inbox.get().link == f"/matters/{Matter.objects.get().pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        submit(world, actor=world.users.grid_a1, building=world.y1)
    assert inbox.count() == 1  # staff entering matters themselves are not told


# ---- the matter page: Chinese words, few queries ------------------------------------------


def busy_matter(world) -> Matter:
    """A realistic matter: several reporters, owners of every kind, photos and a long history
    including the sweep's overdue and escalation rows."""
    past = timezone.now() - dt.timedelta(days=40)
    matter = make_matter(building=world.y1, reporter=world.res_a, created_at=past)
    for resident in (world.res_a_spouse, world.res_y1b):
        matter.reporters.create(resident=resident, name=resident.name)
    staff = world.users.staff_a
    s.matter_acknowledge(actor=world.users.grid_a1, matter=matter, note="已到现场查看")
    s.matter_assign(
        actor=staff,
        matter=matter,
        owners=[world.p_neighbour, world.team_a, world.org_a, world.users.grid_a1],
        whistle=[world.org_dept],
    )
    s.matter_whistle_respond(actor=staff, matter=matter, owner=matter.owners.get(is_whistle=True))
    for n in range(3):
        MatterPhoto.objects.create(
            matter=matter, image=f"matters/{matter.pk}/{n}.jpg", content_type="image/jpeg", size=9
        )
    mark_overdue(timezone.now())
    s.matter_start(actor=world.users.partner_a, matter=matter, note="联系了物业")
    s.matter_complete(actor=world.users.partner_a, matter=matter, note="已修好")
    s.matter_feedback(actor=world.users.resident_a, matter=matter, satisfaction="dissatisfied")
    return matter


@pytest.mark.parametrize("who", ["staff_a", "official", "resident_a", "grid_a1"])
def test_matter_page_shows_every_step_in_chinese_with_pinned_queries(
    client, world, who, django_assert_max_num_queries
):
    matter = busy_matter(world)
    actions = set(matter.events.values_list("action", flat=True))
    assert {"overdue", "whistle_response", "reopen", "assign"} <= actions
    login(client, getattr(world.users, who))
    # Fixed whatever the number of owners, events, photos and reporters: 19 for staff (with
    # the routing candidates), about 12 for the others.
    with django_assert_max_num_queries(19):
        response = client.get(reverse("matters:detail", args=[matter.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    timeline = page[page.index('id="history"') :]
    for raw in ("overdue", "whistle_response", "reopen", "in_progress", "grid_a1", "staff_a"):
        assert raw not in timeline, raw
    assert "已超时" in timeline and "不满意" in timeline

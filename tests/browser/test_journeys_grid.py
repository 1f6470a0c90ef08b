"""A grid worker's day on a phone: opens 待办, records a problem already fixed on the spot with a
photo (当场办结), and finishes (办结) a small matter of their grid that staff gave them."""

import pytest
from playwright.sync_api import expect

from gongzhi.matters import services
from gongzhi.matters.models import Matter, Status
from tests.browser.journeys import Journey, name_the_personas
from tests.helpers import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASSIGNED = "1栋3楼楼道的灯坏了，晚上老人上下楼看不见"
ON_SPOT = "1栋2单元门口堆了几辆共享单车，挡住了消防通道"


def test_grid_worker_handles_on_the_spot_and_finishes_an_assigned_matter(
    phone_page, world, artifacts
):
    name_the_personas()
    staff = world.users.staff_a
    assigned = services.matter_submit(
        actor=world.users.resident_a,
        text=ASSIGNED,
        channel="online_web",
        place=services.resolve_place(building=world.y1),
    )
    services.matter_acknowledge(actor=staff, matter=assigned)
    services.matter_assign(actor=staff, matter=assigned, owners=[world.users.grid_a1])

    day = Journey(phone_page, artifacts, "grid", phone=True)
    page = phone_page
    day.log_in("grid_a1")

    # 待办 first: the matter staff gave them is there.
    day.tab("待办")
    page.wait_for_url("**/todo/")
    day.step("todo")
    card = page.locator("a.todo-card", has_text=ASSIGNED[:8])
    expect(card).to_contain_text("待办理")
    day.shot("1-todo")

    # On the walk: the bikes are moved, recorded as handled on the spot with a photo.
    day.tab("反映")
    page.wait_for_url("**/matters/new/")
    day.step("intake-form")
    page.locator("textarea[name=text]").fill(ON_SPOT)
    expect(page.locator("#suggestion .suggestion[data-category]")).to_be_visible()
    page.locator("select[name=compound]").select_option(str(world.yujia.pk))
    expect(page.locator("select[name=building] option", has_text="1栋")).to_have_count(1)
    page.locator("select[name=building]").select_option(str(world.y1.pk))
    page.locator("#on-spot input[name=handled_on_spot]").check()
    page.locator("#on-spot [name=resolution_note]").fill("已把单车挪到车棚，消防通道已畅通")
    page.locator("input[name=photo]").set_input_files(
        {"name": "bikes.png", "mimeType": "image/png", "buffer": PNG}
    )
    day.shot("2-on-spot-form")
    page.locator("form button.primary[type=submit]").click()
    page.wait_for_url("**/matters/*/")
    day.step("on-spot-recorded")
    expect(page.locator(".messages .success")).to_contain_text("当场办结")
    expect(page.locator(".photos img")).to_have_count(1)
    day.shot("3-on-spot-done")
    on_spot = Matter.objects.exclude(pk=assigned.pk).get()
    assert on_spot.status in (Status.DONE, Status.CLOSED)
    assert on_spot.building == world.y1 and on_spot.photos.count() == 1
    assert on_spot.owners.get(active=True).user == world.users.grid_a1

    # Back to 待办: finish the assigned one (办结) with a note of what was done.
    day.tab("待办")
    page.wait_for_url("**/todo/")
    day.step("todo-again")
    page.locator("a.todo-card", has_text=ASSIGNED[:8]).click()
    page.wait_for_url(f"**/matters/{assigned.pk}/")
    day.step("assigned-matter")
    handle = page.locator("#handle-form")
    expect(handle).to_be_visible()
    handle.locator("input[name=note]").fill("已换新灯泡，楼道恢复照明")
    day.shot("4-handle")
    handle.locator("button[type=submit]").click()
    page.wait_for_url(f"**/matters/{assigned.pk}/")
    day.step("handled")
    expect(page.locator(".messages .success")).to_be_visible()
    day.shot("5-handled")
    assigned.refresh_from_db()
    assert assigned.status == Status.DONE

    # Nothing of the two is left in 待办.
    day.tab("待办")
    page.wait_for_url("**/todo/")
    day.step("todo-after")
    expect(page.locator("a.todo-card", has_text=ASSIGNED[:8])).to_have_count(0)
    day.shot("6-todo-after")
    day.finish()

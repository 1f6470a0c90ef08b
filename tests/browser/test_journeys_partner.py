"""A building leader's (neighbour partner's) day on a phone: the matter staff gave them waits on
the home page; they open it, start the work and report it done — with a clear "done" each time."""

import pytest
from playwright.sync_api import expect

from gongzhi.matters import services
from gongzhi.matters.models import Matter, Status
from tests.browser.journeys import Journey, name_the_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "1栋楼下绿化带里的树枝断了挂在半空，怕砸到人"


def test_partner_sees_and_completes_an_assigned_matter(phone_page, world, artifacts):
    name_the_personas()
    staff = world.users.staff_a
    matter = services.matter_submit(
        actor=staff,
        text=TEXT,
        channel="walk_in",
        place=services.resolve_place(building=world.y1),
        reporter=world.res_y1b,
    )
    services.matter_acknowledge(actor=staff, matter=matter)
    services.matter_assign(actor=staff, matter=matter, owners=[world.p_neighbour])

    day = Journey(phone_page, artifacts, "partner", phone=True)
    page = phone_page
    day.log_in("partner_a")

    # The first screen answers "what do I do now".
    card = page.locator(".todo-home a.todo-card", has_text=TEXT[:8])
    expect(card).to_be_visible()
    day.shot("1-home")
    card.click()
    page.wait_for_url(f"**/matters/{matter.pk}/")
    day.step("matter")
    day.shot("2-matter")

    page.locator("form[action$='/start/'] button[type=submit]").click()
    page.wait_for_url(f"**/matters/{matter.pk}/")
    day.step("started")
    expect(page.locator(".messages .success")).to_be_visible()
    done = page.locator("form[action$='/complete/']")
    done.locator("input[name=note]").fill("已找物业把断枝锯下清走")
    day.shot("3-started")
    done.locator("button[type=submit]").click()
    page.wait_for_url(f"**/matters/{matter.pk}/")
    day.step("completed")
    expect(page.locator(".messages .success")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("待评价")
    day.shot("4-completed")
    assert Matter.objects.get(pk=matter.pk).status == Status.DONE

    # Back home through the tab bar: nothing of it waits any more.
    day.tab("待办")
    page.wait_for_url("**/todo/")
    day.step("todo-after")
    expect(page.locator("a.todo-card", has_text=TEXT[:8])).to_have_count(0)
    day.finish()

"""A resident's day on a phone: reports a problem at another building of the community, follows
its status as staff acknowledge and finish it, finds "give feedback" among their to-do items on
the home page and gives it — through the tab bar and the links on each page."""

import pytest
from playwright.sync_api import expect

from gongzhi.matters import services
from gongzhi.matters.models import Matter, Status
from tests.browser.journeys import Journey, name_the_personas
from tests.helpers import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "锦绣园1栋门口的垃圾桶满了好几天没人清，味道很大"


def test_resident_reports_elsewhere_follows_and_gives_feedback(phone_page, world, artifacts):
    name_the_personas()
    day = Journey(phone_page, artifacts, "resident", phone=True)
    page = phone_page
    day.log_in("resident_a")

    # 反映 from the tab bar; the place is another building of the community (not 渔家苑1栋).
    day.tab("反映")
    page.wait_for_url("**/matters/report/")
    day.step("report-form")
    page.locator("textarea[name=text]").fill(TEXT)
    expect(page.locator("#suggestion .suggestion[data-category]")).to_be_visible()
    page.locator("select[name=where]").select_option(f"building:{world.j1.pk}")
    page.locator("input[name=photo]").set_input_files(
        {"name": "bin.png", "mimeType": "image/png", "buffer": PNG}
    )
    day.shot("1-report")
    page.locator("form button.primary[type=submit]").click()
    page.wait_for_url("**/matters/*/")
    day.step("reported")
    matter = Matter.objects.get()
    assert (matter.building, matter.reporter) == (world.j1, world.res_a)
    expect(page.locator(".messages .success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("锦绣园")
    day.shot("2-reported")

    # Staff acknowledge it; the resident sees the new status under 我的.
    services.matter_acknowledge(actor=world.users.staff_a, matter=matter)
    day.tab("我的")
    page.wait_for_url("**/matters/mine/")
    day.step("mine-acknowledged")
    card = page.locator(".matter-cards li", has_text=TEXT[:10])
    expect(card).to_contain_text("已响应")
    day.shot("3-acknowledged")

    # Staff finish it (a small matter handled by staff); the home page asks for feedback.
    matter.refresh_from_db()
    services.matter_handle(actor=world.users.staff_a, matter=matter, note="已联系保洁清运")
    assert Matter.objects.get().status == Status.DONE
    day.tab("首页")
    page.wait_for_url(lambda url: url.endswith("/"))
    day.step("home-feedback")
    todo = page.locator(".todo-home a.todo-card", has_text=TEXT[:8])
    expect(todo).to_contain_text("评价")
    day.shot("4-home-todo")
    todo.click()
    page.wait_for_url(f"**/matters/{matter.pk}/")
    day.step("matter-done")
    feedback = page.locator("#feedback")
    expect(feedback).to_be_visible()
    feedback.locator("input[name=satisfaction][value=satisfied]").check()
    feedback.locator("textarea[name=comment]").fill("清理得很及时，谢谢")
    day.shot("5-feedback")
    feedback.locator("button[type=submit]").click()
    page.wait_for_url(f"**/matters/{matter.pk}/")
    day.step("feedback-sent")
    expect(page.locator(".messages .success")).to_be_visible()
    expect(page.locator("#feedback")).to_have_count(0)
    day.shot("6-closed")
    matter.refresh_from_db()
    assert (matter.status, matter.satisfaction) == (Status.CLOSED, "satisfied")

    # Nothing is left to do: the feedback item is gone from the home page.
    day.tab("首页")
    page.wait_for_url(lambda url: url.endswith("/"))
    day.step("home-after")
    expect(page.locator(".todo-home a.todo-card", has_text=TEXT[:8])).to_have_count(0)
    day.finish()

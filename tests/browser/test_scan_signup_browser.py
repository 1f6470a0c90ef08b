"""扫码上报 on a phone: a resident opens a building's poster link, signs up with the code from the
outbox, reports, and later sees the status change after staff acknowledge it."""

import pytest
from playwright.sync_api import expect

from gongzhi.matters import services
from gongzhi.matters.models import Matter, Status
from tests.helpers import PASSWORD, SPOUSE_PHONE, sent_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "1栋2单元楼道堆满了纸箱，堵住了消防通道"


def test_scan_sign_up_report_and_follow(phone_page, world, artifacts):
    page = phone_page
    page.goto(f"/r/b/{world.y1.pk}/")
    expect(page.locator(".place")).to_contain_text("渔家苑 1栋")
    page.get_by_role("link", name="注册").click()

    page.fill("input[name=phone]", SPOUSE_PHONE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator(".messages")).to_contain_text("验证码已通过短信发送")
    page.fill("input[name=code]", sent_code(SPOUSE_PHONE))
    page.fill("input[name=name]", "李秀英")
    page.fill("input[name=password]", PASSWORD)
    page.screenshot(path=str(artifacts / "scan-signup-phone.png"), full_page=True)
    page.get_by_role("button", name="注册", exact=True).click()

    # Linked to the registry at once, back on the building's report page.
    expect(page.locator(".place")).to_contain_text("渔家苑 1栋")
    expect(page.get_by_text("您将以 李秀英 的身份反映")).to_be_visible()
    page.fill("textarea[name=text]", TEXT)
    page.get_by_role("button", name="提交").click()
    matter = Matter.objects.get()
    assert matter.reporter == world.res_a_spouse and matter.building == world.y1
    assert matter.channel == "online_web"
    expect(page.get_by_text(TEXT)).to_be_visible()

    page.goto("/matters/mine/")
    expect(page.get_by_text(TEXT[:10])).to_be_visible()
    services.matter_acknowledge(actor=world.users.staff_a, matter=matter)
    assert Matter.objects.get().status == Status.ACKNOWLEDGED
    page.reload()
    expect(page.locator("main")).to_contain_text("已响应")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "scan-signup-mine.png"), full_page=True)

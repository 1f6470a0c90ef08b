"""A grid worker's morning on a phone: the home page opens on the to-do, one tap leads to the
matter; the /todo/ chips narrow the list. Saves screenshots of both pages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.matters.models import Status
from tests.browser.helpers import log_in
from tests.factories_matters import make_matter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_worker_opens_the_to_do_on_a_phone(phone_page, world, artifacts):
    late = make_matter(
        text="一号楼楼道堆满纸箱，消防通道堵住了", building=world.y1, status=Status.ASSIGNED
    )
    late.due_at = timezone.now() - dt.timedelta(hours=5)
    late.save(update_fields=["due_at"])
    make_matter(text="一号楼门口路灯不亮", building=world.y1)
    make_matter(text="二号楼漏水", building=world.y2)  # another grid: never shown

    page = phone_page
    log_in(page, "grid_a1")
    page.goto(reverse("core:home"))
    cards = page.locator(".todo-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("尽快办结：一号楼楼道堆满纸箱")
    expect(cards.first.locator(".todo-due.late")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = cards.first.bounding_box()
    assert box["width"] >= 340 and box["height"] >= 64  # a big tap target across the screen
    page.screenshot(path=str(artifacts / "todo-home-grid-phone.png"), full_page=True)

    page.goto(reverse("todo:list"))
    page.locator(".todo-kinds a", has_text="待响应").click()
    expect(page.locator(".todo-card")).to_have_count(1)
    expect(page.locator(".todo-card")).to_contain_text("请响应：一号楼门口路灯不亮")
    page.screenshot(path=str(artifacts / "todo-list-grid-phone.png"), full_page=True)

    page.goto(reverse("core:home"))
    page.locator(".todo-card").first.click()
    page.wait_for_url(f"**{reverse('matters:detail', args=[late.pk])}")
    expect(page.locator("main")).to_contain_text("一号楼楼道堆满纸箱")

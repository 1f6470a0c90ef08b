"""A micro-project in a real browser: staff open the pre-evaluation, a resident votes on a
phone-sized screen, staff approve, the planner logs an inspection, staff complete the project
and open the post-evaluation, and the resident rates it on the phone."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.projects import services
from gongzhi.projects.models import Kind, Project, Stage
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _act(page, value: str) -> None:
    page.locator(f"button[name=action][value={value}]").click()
    page.wait_for_load_state("load")


def test_project_from_pre_evaluation_to_post_evaluation(page, phone_page, world, artifacts):
    project = services.project_propose(
        actor=world.users.staff_a,
        kind=Kind.MICRO_RENOVATION,
        title="1栋非机动车棚",
        description="楼下电动车乱停，建一个带充电桩的车棚",
        building=world.y1,
        planner=world.p_neighbour,
    )
    detail = reverse("projects:detail", args=[project.pk])
    log_in(page, "staff_a")
    page.goto(detail)
    _act(page, "open_pre_evaluation")

    # The resident votes on the phone.
    log_in(phone_page, "resident_a")
    phone_page.goto(detail)
    phone_page.locator(f"a[href='{reverse('projects:vote', args=[project.pk])}']").click()
    phone_page.locator("input[name=choice][value=support]").check()
    phone_page.locator("textarea[name=comment]").fill("早该建了，支持")
    phone_page.screenshot(path=artifacts / "projects-vote-phone.png", full_page=True)
    phone_page.locator("form button.primary").click()
    expect(phone_page.locator("#tally")).to_contain_text("1")

    # Staff approve with reasoning; the tally is frozen on the project.
    page.goto(detail)
    page.locator("textarea[name=reasoning]").fill("居民支持，消除飞线充电隐患")
    _act(page, "approve")
    expect(page.locator("#pre-evaluation")).to_contain_text("居民支持")
    _act(page, "start")

    # The planner (partner_a) logs an inspection.
    log_in(phone_page, "partner_a")
    phone_page.goto(reverse("projects:supervise", args=[project.pk]))
    phone_page.locator("input[name=progress]").fill("70")
    phone_page.locator("textarea[name=problems]").fill("立柱未做防锈")
    phone_page.locator("form button.primary").click()
    expect(phone_page.locator("#supervision")).to_contain_text("立柱未做防锈")

    page.goto(detail)
    _act(page, "complete")
    _act(page, "open_post_evaluation")

    # The resident rates it on the phone.
    log_in(phone_page, "resident_a")
    phone_page.goto(reverse("projects:rate", args=[project.pk]))
    phone_page.locator("input[name=score][value='5']").check()
    phone_page.locator("textarea[name=comment]").fill("车棚很好用")
    phone_page.screenshot(path=artifacts / "projects-rate-phone.png", full_page=True)
    phone_page.locator("form button.primary").click()
    expect(phone_page.locator("#ratings")).to_contain_text("1")

    page.goto(detail)
    _act(page, "close")
    page.screenshot(path=artifacts / "projects-closed.png", full_page=True)
    project = Project.objects.get(pk=project.pk)
    assert project.stage == Stage.CLOSED
    assert (project.votes_support, project.rating_count, project.rating_average) == (1, 1, 5)

"""The closed loop in a real browser: a big matter goes to deliberation, joins the next meeting's
agenda, is decided by vote with an action item, the action item is done, the matter is done, and
the reporting resident is notified and gives feedback."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.matters.models import Matter, Status
from gongzhi.meetings.models import ActionItem, AgendaItem, Decision
from gongzhi.notifications.models import Notification
from tests.browser.helpers import log_in
from tests.factories_matters import make_matter
from tests.factories_meetings import make_meeting, make_venue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _post(page, action: str) -> None:
    page.locator(f"form[action$='/{action}/'] button[name=go]").first.click()
    page.wait_for_load_state("load")


def _pick(picker, text: str, value: str) -> None:
    """Type into a type-ahead picker and choose the option with ``value``."""
    picker.locator(".picker-q").fill(text)
    picker.locator(f".picker-option[data-value='{value}']").click()
    expect(picker.locator(f"input[type=hidden][value='{value}']")).to_have_count(1)


def test_the_loop_closes_in_the_browser(page, world, artifacts):
    meeting = make_meeting(world, place=world.yujia, venue=make_venue(world), title="渔家苑议事会")
    matter = make_matter(
        text="1栋外墙渗水，雨天多户墙面发霉",
        building=world.y1,
        tier="big",
        status="assigned",
        reporter=world.res_a,
    )
    log_in(page, "staff_a")

    # The matter goes to deliberation and lands on the meeting's agenda.
    page.goto(reverse("matters:detail", args=[matter.pk]))
    page.locator("form[action$='/deliberate/'] button").click()
    page.wait_for_load_state("load")
    assert AgendaItem.objects.get(matter=matter).meeting_id == meeting.pk

    page.goto(reverse("meetings:detail", args=[meeting.pk]))
    expect(page.locator("#agenda")).to_contain_text("1栋外墙渗水")

    # Invite three residents as voters in one step with the picker, all present, open.
    page.locator("#invite summary").click()
    for resident in (world.res_a, world.res_y1b, world.res_a_spouse):
        _pick(
            page.locator("#invite [data-name=invitees]"), resident.name, f"resident:{resident.pk}"
        )
    page.locator("#invite input[name=is_voter]").first.check()
    page.screenshot(path=artifacts / "meeting-invite.png", full_page=True)
    page.locator("#invite button[name=go][value=invite]").click()
    page.wait_for_load_state("load")
    expect(page.locator("#participants tbody tr")).to_have_count(3)
    page.locator("form[action$='/attend/'] button[value=all]").click()
    page.wait_for_load_state("load")
    _post(page, "open")

    # Vote: two for, one against; then the decision with one action item.
    selects = page.locator("form[action$='/vote/'] select")
    for index, choice in enumerate(["for", "for", "against"]):
        selects.nth(index).select_option(choice)
    _post(page, "vote")
    decide = page.locator("form[action$='/decide/']")
    decide.locator("select[name=method]").select_option("vote")
    decide.locator("textarea[name=text]").fill("物业牵头维修1栋外墙，申请维修资金")
    decide.locator("input[name=action_title_1]").fill("外墙防水维修")
    _pick(decide.locator("[data-name=action_owner_1]"), "居委会", f"organisation:{world.org_a.pk}")
    deadline = timezone.localdate() + dt.timedelta(days=20)
    decide.locator("input[name=action_due_1]").fill(deadline.isoformat())
    _post(page, "decide")
    decision = Decision.objects.get(item__matter=matter)
    assert (decision.votes_for, decision.votes_against, decision.outcome) == (2, 1, "adopted")
    assert Matter.objects.get(pk=matter.pk).status == Status.IN_PROGRESS

    _post(page, "close")
    page.screenshot(path=artifacts / "meeting-closed.png", full_page=True)

    # The action item is done: the matter is done and the reporter is told.
    _post(page, "done")
    assert ActionItem.objects.get().status == "done"
    assert Matter.objects.get(pk=matter.pk).status == Status.DONE
    assert Notification.objects.filter(user=world.users.resident_a, kind="matter_done").exists()

    # The minutes page shows the committee's layout.
    page.goto(reverse("meetings:minutes", args=[meeting.pk]))
    expect(page.locator("body")).to_contain_text("表决结果")
    expect(page.locator("body")).to_contain_text("赞成2票，反对1票")
    page.screenshot(path=artifacts / "meeting-minutes.png", full_page=True)

    # The resident sees the published decision and rates the matter.
    page.context.clear_cookies()
    log_in(page, "resident_a")
    page.goto(reverse("meetings:decisions"))
    expect(page.locator("body")).to_contain_text("物业牵头维修1栋外墙")
    page.goto(reverse("matters:detail", args=[matter.pk]))
    page.locator("#feedback input[value=satisfied]").check()
    page.locator("#feedback button[type=submit]").click()
    page.wait_for_load_state("load")
    assert Matter.objects.get(pk=matter.pk).status == Status.CLOSED

"""Hours to points to goods, in a real browser: staff record and confirm a volunteer's hours,
approve the claim (the rule's publicity is 0 days) and issue it; the volunteer sees the points
and orders in the shop; staff hand the item over at the pickup desk."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.points.models import Redemption, RedemptionStatus, ShopItem
from gongzhi.points.services import balance_of
from gongzhi.volunteering.models import (
    ActivityKind,
    ClaimStatus,
    EarningRule,
    EarningUnit,
    PointsClaim,
    RecordStatus,
    ServiceRecord,
)
from gongzhi.volunteering.services import activity_create

pytestmark = pytest.mark.django_db(transaction=True)


def login(page, username):
    page.goto(reverse("accounts:login"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("pw-" + username)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def logout(page):
    page.locator("header form[action$='logout/'] button").click()
    page.wait_for_load_state()


def test_hours_become_points_become_goods(ledger_flushable, world, page, artifacts):
    EarningRule.objects.create(
        community=world.a,
        kind=ActivityKind.SERVICE,
        unit=EarningUnit.PER_HOUR,
        points=10,
        publicity_days=0,
        valid_from=dt.date(2026, 1, 1),
    )
    item = ShopItem.objects.create(community=world.a, name="东北大米 10斤", price=25, stock=3)
    activity = activity_create(
        title="敬老院陪伴",
        kind=ActivityKind.SERVICE,
        organiser=world.team_a,
        actor=world.users.staff_a,
        date=dt.date(2026, 3, 14),
    )

    # Staff record 王建国's three hours and confirm them (谁组织谁记录).
    login(page, "staff_a")
    page.goto(reverse("volunteering:detail", args=[activity.pk]))
    form = page.locator("#record-add")
    form.locator("input.picker-q").fill("王建国")
    form.locator(f".picker-option[data-value='partner:{world.p_neighbour.pk}']").click()
    form.locator("input[name=hours]").fill("3")
    form.locator("button[type=submit]").click()
    record = ServiceRecord.objects.get(activity=activity)
    expect(page.locator(f"tr[data-record='{record.pk}']")).to_contain_text("3.0")
    assert record.status == RecordStatus.CONFIRMED

    # 审核 → 公示 (0 days) → issued.
    page.goto(reverse("volunteering:claims"))
    claim = PointsClaim.objects.get(record=record)
    row = page.locator(f"tr[data-claim='{claim.pk}']")
    row.locator("form[action$='/approve/'] button").click()
    row = page.locator(f"tr[data-claim='{claim.pk}']")
    row.locator("form[action$='/issue/'] button").click()
    expect(page.locator(f"tr[data-claim='{claim.pk}']")).to_contain_text("30")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ISSUED
    assert balance_of(world.res_a) == 30
    logout(page)

    # The volunteer sees the points and the hours, and orders rice.
    login(page, "partner_a")
    page.goto(reverse("volunteering:mine"))
    expect(page.locator("main")).to_contain_text("3.0")
    page.goto(reverse("points:mine"))
    expect(page.locator("main")).to_contain_text("30")
    page.goto(reverse("points:shop"))
    page.locator(f"#item-{item.pk} button[type=submit]").click()
    expect(page.locator(f"#order-{item.pk}")).not_to_be_empty()
    redemption = Redemption.objects.get(item=item)
    assert redemption.status == RedemptionStatus.HELD
    assert balance_of(world.res_a) == 5
    logout(page)

    # Staff hand it over at the pickup desk.
    login(page, "staff_a")
    page.goto(reverse("points:desk"))
    page.locator(
        f"form[action='{reverse('points:resolve', args=[redemption.pk, 'fulfil'])}'] button"
    ).click()
    page.wait_for_load_state()
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.FULFILLED
    # Spending points never reduced the hours.
    record.refresh_from_db()
    assert (record.minutes, record.status) == (180, RecordStatus.APPROVED)
    page.goto(reverse("volunteering:certificate_of", args=[f"r{world.res_a.pk}"]))
    expect(page.locator(".certificate")).to_contain_text("王建国")
    page.screenshot(path=str(artifacts / "points_certificate.png"), full_page=True)
    page.goto(reverse("points:desk"))
    page.screenshot(path=str(artifacts / "points_pickup.png"), full_page=True)

"""Who is told how: notify_users queues a message per person's preference (SMS to the linked
resident's or partner's phone, WeCom, or nothing), quiet hours, the preferences page and API."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from gongzhi.notifications.models import (
    Notification,
    NotificationPreference,
    Outbox,
    OutboxStatus,
)
from gongzhi.notifications.outbox import quiet_hours_end
from gongzhi.notifications.services import notify_contact, notify_users
from tests.conftest import login
from tests.helpers import cleaning_activity

URL = "/api/v1/me/notification-preferences"


def local(hour: int, minute: int = 0, day: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 3, day, hour, minute))


@pytest.mark.parametrize(
    ("now", "start", "end", "expected"),
    [
        (local(23), dt.time(22), dt.time(7), local(7, day=11)),
        (local(3), dt.time(22), dt.time(7), local(7)),
        (local(22), dt.time(22), dt.time(7), local(7, day=11)),
        (local(7), dt.time(22), dt.time(7), None),
        (local(12), dt.time(22), dt.time(7), None),
        (local(13), dt.time(12), dt.time(14), local(14)),
        (local(15), dt.time(12), dt.time(14), None),
        (local(23), dt.time(0), dt.time(0), None),
    ],
)
def test_quiet_hours_end(now, start, end, expected):
    assert quiet_hours_end(now, start, end) == expected


def test_notify_users_queues_sms_to_the_linked_phone_by_default(world):
    u = world.users
    count = notify_users(
        users=[u.resident_a, u.partner_a, u.staff_a, u.resident_a, None],
        kind="matter_status",
        title="您反映的事项已办结",
        body="请评价",
        link="/matters/1/",
        urgent=True,
    )
    assert count == 3
    assert Notification.objects.count() == 3
    rows = {r.user_id: r for r in Outbox.objects.all()}
    # Staff have no phone on record: inbox only.
    assert set(rows) == {u.resident_a.pk, u.partner_a.pk}
    assert rows[u.resident_a.pk].to == "13812345678"
    assert rows[u.partner_a.pk].to == "13900001111"
    row = rows[u.resident_a.pk]
    assert (row.channel, row.kind, row.subject, row.status) == (
        "sms",
        "matter_status",
        "您反映的事项已办结",
        OutboxStatus.QUEUED,
    )
    assert row.body == "您反映的事项已办结\n请评价"


def test_preferences_choose_wecom_or_nothing(world):
    u = world.users
    NotificationPreference.objects.create(user=u.resident_a, channel="none")
    NotificationPreference.objects.create(
        user=u.partner_a, channel="wecom_app", wecom_user_id="WangJianGuo"
    )
    notify_users(users=[u.resident_a, u.partner_a], kind="meeting", title="会议通知", urgent=True)
    assert Notification.objects.count() == 2
    (row,) = Outbox.objects.all()
    assert (row.user, row.channel, row.to) == (u.partner_a, "wecom_app", "WangJianGuo")


def test_quiet_hours_delay_all_but_urgent_messages(world):
    u = world.users
    now = timezone.localtime()
    # A quiet window around "now" (two hours long), whatever the time the test runs.
    start = (now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    NotificationPreference.objects.create(
        user=u.resident_a, channel="sms", quiet_start=start, quiet_end=end
    )
    notify_users(users=[u.resident_a], kind="points", title="积分到账")
    notify_users(users=[u.resident_a], kind="matter_status", title="紧急通知", urgent=True)
    delayed = Outbox.objects.get(subject="积分到账")
    urgent = Outbox.objects.get(subject="紧急通知")
    wait = delayed.next_try_at - timezone.now()
    assert dt.timedelta(minutes=55) < wait <= dt.timedelta(hours=1)
    assert timezone.localtime(delayed.next_try_at).time().replace(second=0) == end
    assert urgent.next_try_at <= timezone.now()


def test_notify_contact_goes_through_the_outbox(db):
    notify_contact(contact="13911112222", title="您反映的事项已受理")
    notify_contact(contact="", title="nobody")
    (row,) = Outbox.objects.all()
    assert (row.channel, row.to, row.user, row.status) == ("sms", "13911112222", None, "queued")


# ---- API ------------------------------------------------------------------------------------


def test_api_get_defaults_and_put(client, world):
    login(client, world.users.resident_a)
    got = client.get(URL).json()
    assert got == {
        "channel": "sms",
        "wecom_user_id": "",
        "quiet_start": "22:00:00",
        "quiet_end": "07:00:00",
        "phone_masked": "138****5678",
    }
    assert not NotificationPreference.objects.exists()
    put = client.put(
        URL,
        {"channel": "wecom_app", "wecom_user_id": "WangJianGuo", "quiet_start": "21:30"},
        content_type="application/json",
    )
    assert put.status_code == 200
    pref = NotificationPreference.objects.get(user=world.users.resident_a)
    assert (pref.channel, pref.wecom_user_id, pref.quiet_start, pref.quiet_end) == (
        "wecom_app",
        "WangJianGuo",
        dt.time(21, 30),
        dt.time(7),
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"channel": "sms"}, 400, "no_phone"),
        ({"channel": "wecom_app"}, 400, "no_wecom_id"),
        ({"channel": "pigeon"}, 422, "invalid"),
        ({"channel": "none", "quiet_start": "25:00"}, 422, "invalid"),
    ],
)
def test_api_refuses_bad_input_and_changes_nothing(client, world, body, status, code):
    login(client, world.users.staff_a)
    response = client.put(URL, body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["code"] == code
    if status == 400:
        assert re.search(r"[\u4e00-\u9fff]", response.json()["message"])
    assert not NotificationPreference.objects.exists()


def test_api_needs_a_login(client, db):
    assert client.get(URL).status_code == 401


# ---- page -----------------------------------------------------------------------------------


def test_page_shows_the_masked_phone_in_chinese_and_saves(client, world):
    login(client, world.users.resident_a)
    page = client.get("/inbox/preferences/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "免打扰" in page
    assert not re.search(r">[^<]*\b(SMS|WeCom|Save|Quiet)\b[^<]*<", page)
    response = client.post(
        "/inbox/preferences/",
        {"channel": "none", "wecom_user_id": "", "quiet_start": "23:00", "quiet_end": "06:30"},
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=world.users.resident_a)
    assert (pref.channel, pref.quiet_start, pref.quiet_end) == ("none", dt.time(23), dt.time(6, 30))


def test_page_explains_a_refusal_and_keeps_the_old_choice(client, world):
    login(client, world.users.staff_a)
    response = client.post(
        "/inbox/preferences/",
        {"channel": "sms", "wecom_user_id": "", "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert response.status_code == 200
    assert "手机号" in response.content.decode()
    assert not NotificationPreference.objects.exists()


# ---- told at the right moment ---------------------------------------------------------------


def test_a_proposer_is_told_when_the_proposal_is_accepted_and_decided(world):
    from gongzhi.meetings import services as meetings
    from tests.factories_meetings import make_meeting, voters_present

    resident = world.users.resident_a
    meeting = make_meeting(world)
    voters_present(world, meeting, present=3)
    item = meetings.agenda_propose(actor=resident, meeting=meeting, title="小区增设充电桩")
    assert not Notification.objects.filter(user=resident, kind="agenda_proposal").exists()
    meetings.agenda_accept(actor=world.users.staff_a, item=item)
    meetings.meeting_open(actor=world.users.staff_a, meeting=meeting)
    meetings.decision_record(
        actor=world.users.staff_a, item=item, method="consensus", text="同意增设"
    )
    titles = list(
        Notification.objects.filter(user=resident, kind="agenda_proposal")
        .order_by("pk")
        .values_list("title", flat=True)
    )
    assert titles == [
        "您的提议已列入居民议事会议程:小区增设充电桩",
        "您的提议在居民议事会上获得通过:小区增设充电桩",
    ]
    # …and by SMS to the number on record, after quiet hours.
    assert Outbox.objects.filter(user=resident, kind="agenda_proposal").count() == 2


def test_a_volunteer_is_told_when_a_claim_is_approved_and_points_arrive(world):
    from gongzhi.volunteering import services as volunteering
    from gongzhi.volunteering.models import (
        ActivityKind,
        EarningRule,
        EarningUnit,
        PointsClaim,
    )

    EarningRule.objects.create(
        community=world.a,
        kind=ActivityKind.SERVICE,
        unit=EarningUnit.PER_HOUR,
        points=2,
        cap_per_activity=10,
        publicity_days=7,
        valid_from=dt.date(2026, 1, 1),
    )
    activity = cleaning_activity(world)
    record = volunteering.service_record_add(
        activity=activity,
        participant=world.p_construction,
        minutes=120,
        actor=world.users.partner_a,
    )
    volunteering.service_record_confirm(record=record, actor=world.users.partner_a)
    claim = PointsClaim.objects.get(record=record)
    # 孙立 has no account: nobody to tell, and nothing breaks.
    now = timezone.now()
    volunteering.points_claim_approve(claim=claim, actor=world.users.staff_a, now=now)
    assert not Notification.objects.filter(kind="points").exists()

    record = volunteering.service_record_add(
        activity=activity, participant=world.p_neighbour, minutes=120, actor=world.users.partner_a
    )
    volunteering.service_record_confirm(record=record, actor=world.users.partner_a)
    claim = PointsClaim.objects.get(record=record)
    volunteering.points_claim_approve(claim=claim, actor=world.users.staff_a, now=now)
    volunteering.points_claim_issue(
        claim=claim, actor=world.users.staff_a, now=now + dt.timedelta(days=8)
    )
    # 王建国 is both a resident (resident_a) and the neighbour partner (partner_a).
    told = Notification.objects.filter(kind="points").values_list("user__username", "title")
    assert sorted(told) == [
        ("partner_a", "您的志愿服务积分4分已到账。"),
        (
            "partner_a",
            f"您的积分申请已审核通过,公示至{timezone.localtime(now + dt.timedelta(days=7)):%Y-%m-%d}。",
        ),
        ("resident_a", "您的志愿服务积分4分已到账。"),
        (
            "resident_a",
            f"您的积分申请已审核通过,公示至{timezone.localtime(now + dt.timedelta(days=7)):%Y-%m-%d}。",
        ),
    ]


def test_the_accounts_own_number_comes_before_the_registry(world):
    from gongzhi.accounts.models import UserPhone
    from gongzhi.core import crypto

    u = world.users
    UserPhone.objects.create(
        user=u.resident_a, phone="13700007777", digest=crypto.digest("13700007777")
    )
    notify_users(users=[u.resident_a], kind="matter_status", title="已受理", urgent=True)
    assert Outbox.objects.get().to == "13700007777"

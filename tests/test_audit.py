"""The audit trail itself: append-only on the database, the page scoped by place, the command,
the retention purge, and a failing write that never stops the access."""

import datetime as dt
import io
import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from gongzhi.audit import services
from gongzhi.audit.models import AuditRecord
from gongzhi.core.excel import system_user
from gongzhi.core.places import Place

URL = reverse("audit:list")


def make_record(user, subject, *, place=None, action="view", days_ago=0):
    if not days_ago:
        return services.record(user, action, subject, place=place)
    # Back-dating a row is an update the triggers refuse: an old row is inserted as such.
    subdistrict_id, community_id = services.place_ids(place, user)
    return AuditRecord.objects.create(
        at=timezone.now() - dt.timedelta(days=days_ago),
        actor=user if user.pk else None,
        actor_username=user.username,
        action=action,
        subject=subject,
        subdistrict_id=subdistrict_id,
        community_id=community_id,
    )


# --- append-only on both databases -------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditrecord SET subject = 'resident:2'",
        "UPDATE audit_auditrecord SET actor_username = 'someone'",
        "DELETE FROM audit_auditrecord",
    ],
)
def test_database_refuses_update_and_delete(world, sql):
    make_record(world.users.staff_a, "resident:1", place=world.res_a)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditRecord.objects.filter(subject="resident:1", actor_username="staff_a").count() == 1


def test_orm_delete_is_refused(world):
    make_record(world.users.staff_a, "resident:1")
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            AuditRecord.objects.all().delete()
    assert AuditRecord.objects.count() == 1


def test_deleting_the_user_keeps_the_record_and_the_username(world):
    user = get_user_model().objects.create_user("leaver", password="x")
    row = services.record(user, "view", "resident:1")
    user.delete()
    row.refresh_from_db()
    assert row.actor_id is None and row.actor_username == "leaver"


# --- what a record holds -----------------------------------------------------------------------


def test_record_keeps_place_of_the_subject_and_address_of_the_request(world, rf):
    request = rf.get("/people/1/", REMOTE_ADDR="10.1.2.3")
    request.user = world.users.staff_a
    row = services.record(request, "view", f"resident:{world.res_a.pk}", place=world.res_a)
    assert (row.actor, row.actor_username, row.address) == (
        world.users.staff_a,
        "staff_a",
        "10.1.2.3",
    )
    assert (row.subdistrict_id, row.community_id) == (world.sub.pk, world.a.pk)


def test_place_defaults_to_the_actors_own_and_a_subdistrict_has_no_community(world):
    assert services.place_ids(None, world.users.staff_b) == (world.sub.pk, world.b.pk)
    assert services.place_ids(None, world.users.official) == (world.sub.pk, None)
    assert services.place_ids(Place("grid", world.grid_a1.pk)) == (world.sub.pk, world.a.pk)
    assert services.place_ids(None, world.users.admin) == (None, None)


def test_commands_are_recorded_as_system(world):
    row = services.record(system_user(), "export", "export:residents")
    assert (row.actor, row.actor_username, row.address) == (None, "system", "")


def test_a_failing_write_lets_the_access_go_on_and_logs_without_personal_data(
    world, monkeypatch, caplog
):
    def broken_save(self, *args, **kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(AuditRecord, "save", broken_save)
    with caplog.at_level(logging.ERROR, logger="gongzhi.audit"):
        with transaction.atomic():
            row = services.record(
                world.users.staff_a, "view", f"resident:{world.res_a.pk}", detail={"n": 1}
            )
            # The surrounding transaction is still usable (the failure stayed in a savepoint).
            assert get_user_model().objects.filter(username="staff_a").exists()
    assert row is None
    [message] = [r.getMessage() for r in caplog.records if r.name == "gongzhi.audit"]
    assert f"subject=resident:{world.res_a.pk}" in message and "DatabaseError" in message
    assert world.res_a.name not in message and world.res_a.id_number not in message


# --- the page, scoped by place -----------------------------------------------------------------


def seed_records(world):
    make_record(world.users.staff_a, "resident:a", place=world.res_a)
    make_record(world.users.staff_b, "resident:b", place=world.res_b)
    make_record(world.users.official, "residents")  # the official's subdistrict
    make_record(system_user(), "export:residents")  # no place


def subjects(response) -> set[str]:
    return {row.subject for row in response.context["rows"]}


def test_staff_of_community_b_cannot_see_the_records_of_a(world, client):
    seed_records(world)
    client.force_login(world.users.staff_b)
    response = client.get(URL)
    assert response.status_code == 200
    assert subjects(response) == {"resident:b"}
    assert subjects(client.get(URL, {"place": f"community:{world.a.pk}"})) == set()


def test_staff_see_their_community_official_the_subdistrict_superuser_all(world, client):
    seed_records(world)
    client.force_login(world.users.staff_a)
    assert subjects(client.get(URL)) == {"resident:a"}
    client.force_login(world.users.official)
    assert subjects(client.get(URL)) == {"resident:a", "resident:b", "residents"}
    client.force_login(world.users.admin)
    assert subjects(client.get(URL)) == {
        "resident:a",
        "resident:b",
        "residents",
        "export:residents",
    }


@pytest.mark.parametrize("persona", ["grid_a1", "partner_a", "resident_a"])
def test_others_may_not_open_the_page(world, client, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(URL).status_code == 403


def test_page_filters_by_user_action_date_and_place(world, client):
    seed_records(world)
    make_record(world.users.staff_a, "resident:a", place=world.res_a, action="export")
    make_record(world.users.staff_a, "resident:a:old", place=world.res_a, days_ago=10)
    client.force_login(world.users.admin)
    assert subjects(client.get(URL, {"q": "staff_b"})) == {"resident:b"}
    assert {r.action for r in client.get(URL, {"action": "export"}).context["rows"]} == {"export"}
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    until = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    assert "resident:a:old" not in subjects(client.get(URL, {"since": since}))
    assert subjects(client.get(URL, {"until": until})) == {"resident:a:old"}
    assert subjects(client.get(URL, {"place": f"community:{world.b.pk}"})) == {"resident:b"}


def test_page_is_chinese_and_bad_filters_are_a_400(world, client):
    seed_records(world)
    client.force_login(world.users.staff_a)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "审计记录" in response.content.decode()
    bad = client.get(URL, {"since": "yesterday"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 400 and "不是日期" in bad.content.decode()
    assert client.get(URL, {"action": "nonsense"}).status_code == 400


def test_officials_export_the_trail_and_the_export_is_itself_recorded(world, client):
    seed_records(world)
    client.force_login(world.users.official)
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    row = AuditRecord.objects.filter(action="export", actor_username="official").get()
    assert row.subject == "export:audit:list" and row.detail["rows"] == 3


def test_staff_may_not_export_the_trail(world, client):
    seed_records(world)
    client.force_login(world.users.staff_a)
    response = client.get(URL, {"format": "xlsx"})
    assert response["Content-Type"].startswith("text/html")
    assert not AuditRecord.objects.filter(action="export", actor_username="staff_a").exists()


# --- the command -------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def test_command_prints_one_json_object_per_line(world, rf):
    request = rf.get("/", REMOTE_ADDR="10.0.0.7")
    request.user = world.users.staff_a
    services.record(request, "view", f"resident:{world.res_a.pk}", place=world.res_a)
    make_record(world.users.staff_b, "resident:b")

    lines = [json.loads(line) for line in run("--json").splitlines()]
    assert [(x["actor"], x["action"], x["subject"]) for x in lines] == [
        ("staff_a", "view", f"resident:{world.res_a.pk}"),
        ("staff_b", "view", "resident:b"),
    ]
    assert lines[0]["address"] == "10.0.0.7"
    assert dt.datetime.fromisoformat(lines[0]["at"]) <= timezone.now()

    only = [json.loads(line) for line in run("--json", "--user", "staff_b").splitlines()]
    assert [x["actor"] for x in only] == ["staff_b"]


def test_command_since_a_day(world):
    make_record(world.users.staff_a, "resident:a", days_ago=10)
    make_record(world.users.staff_a, "resident:new")
    since = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    lines = [json.loads(line) for line in run("--json", "--since", since).splitlines()]
    assert [x["subject"] for x in lines] == ["resident:new"]
    assert "resident:new" in run("--since", since)
    with pytest.raises(CommandError, match="2026-12-01"):
        run("--since", "last week")


# --- retention ---------------------------------------------------------------------------------


def test_purge_deletes_only_rows_past_retention_and_the_triggers_stay(world, settings):
    settings.GONGZHI_AUDIT_RETENTION_DAYS = 30
    make_record(world.users.staff_a, "resident:a", days_ago=31)
    make_record(world.users.staff_a, "resident:b", days_ago=29)
    make_record(world.users.staff_a, "resident:c")

    output = run("--purge")

    assert "1" in output
    left = set(AuditRecord.objects.values_list("subject", flat=True))
    assert left == {"resident:b", "resident:c", "audit"}
    purge = AuditRecord.objects.get(action="purge")
    assert purge.actor_username == "system" and purge.detail["deleted"] == 1
    # The DELETE trigger is back: nothing else can delete.
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditrecord")


def test_purge_refuses_a_retention_below_one_day(world, settings):
    settings.GONGZHI_AUDIT_RETENTION_DAYS = 0
    make_record(world.users.staff_a, "resident:a", days_ago=3)
    with pytest.raises(CommandError):
        run("--purge")
    assert AuditRecord.objects.count() == 1


def test_the_address_is_the_client_behind_a_trusted_proxy(world, rf, settings):
    import ipaddress

    settings.GONGZHI_TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")
    request.user = world.users.staff_a
    assert services.record(request, "view", "residents").address == "203.0.113.9"

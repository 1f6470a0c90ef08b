"""Builders and checks shared by several test modules (a test module never imports another).

Fixtures shared by many modules are in tests/conftest.py; the demo's checks in
tests/demo_checks.py."""

import datetime as dt
import io
import re
import struct
import zlib

import openpyxl
import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.accounts.models import UserRole
from gongzhi.honours import services as honours_services
from gongzhi.honours.models import Candidate, Election, GoodPersonCategory
from gongzhi.mediation import services as mediation_services
from gongzhi.notifications.models import Outbox
from gongzhi.people.excel import RESIDENT_HEADERS
from gongzhi.people.models import Resident
from gongzhi.places.models import Household, Unit
from gongzhi.points.models import Account, AccountKind, Journal, ShopItem
from gongzhi.points.services import points_earn, redemption_order
from gongzhi.projects import services as projects_services
from gongzhi.projects.models import Kind, Stage
from gongzhi.projects.services import ProjectError
from gongzhi.volunteering.models import Activity, RecordStatus, ServiceRecord
from tests.factories import make_household, make_id_number, make_resident, make_user

SPOUSE_PHONE = "13987654321"  # 李秀英 in the world, household 渔家苑 1栋1单元101
NEW_PHONE = "13500001111"
PASSWORD = "Qintai-2024-green"


def sent_code(phone: str) -> str:
    """The code of the newest SMS queued to ``phone`` (read from the outbox, never from logs)."""
    rows = [row for row in Outbox.objects.filter(channel="sms").order_by("-id") if row.to == phone]
    assert rows, "no SMS queued"
    return re.search(r"\b(\d{6})\b", rows[0].body).group(1)


def request_code(client, phone, purpose="signup", address="10.0.0.1"):
    return client.post(
        "/api/v1/auth/sms-code",
        {"phone": phone, "purpose": purpose},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def xlsx(headers, rows) -> bytes:
    """A workbook as a user would save it from Excel (normal mode, one sheet)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def resident_row(**values) -> list:
    base = {
        "小区": "渔家苑",
        "楼栋": "2栋",
        "单元": "3单元",
        "门牌号": "301",
        "姓名": "钱多多",
        "性别": "",
        "出生日期": "",
        "身份证号": make_id_number(dt.date(1985, 2, 3)),
        "联系电话": "13611112222",
        "与户主关系": "户主",
        "标签": "",
    }
    base.update(values)
    return [base[header] for header in RESIDENT_HEADERS]


def registry_counts() -> tuple[int, int, int]:
    return Resident.objects.count(), Household.objects.count(), Unit.objects.count()


def rect(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feature(geometry, **props):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection_a():
    """The persona world's community A on a small local plan."""
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "local"}},
        "features": [
            feature(rect(0, 0, 100, 60), level="compound", name="渔家苑"),
            feature(rect(100, 0, 160, 60), level="compound", name="锦绣园"),
            feature(rect(2, 2, 48, 58), level="grid", name="第一网格"),
            feature(
                {
                    "type": "MultiPolygon",
                    "coordinates": [
                        rect(52, 2, 98, 58)["coordinates"],
                        rect(102, 2, 158, 58)["coordinates"],
                    ],
                },
                level="grid",
                name="第二网格",
            ),
            feature(rect(10, 20, 40, 30), level="building", compound="渔家苑", name="1栋"),
            feature(rect(60, 20, 90, 30), level="building", compound="渔家苑", name="2栋"),
            feature(rect(110, 20, 140, 30), level="building", compound="锦绣园", name="1栋"),
            feature(
                {"type": "Point", "coordinates": [50, 1]},
                level="spot",
                kind="gate",
                compound="渔家苑",
                name="渔家苑南门",
            ),
            feature(rect(20, 40, 40, 55), level="spot", kind="square", name="小广场"),
        ],
    }


def tiny_png(size: int = 8) -> bytes:
    """A real PNG (a red square), so browsers can show it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    pixels = b"".join(b"\x00" + b"\xb8\x32\x2b" * size for _row in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


PNG = tiny_png()


T0 = timezone.make_aware(dt.datetime(2024, 5, 6, 9, 0))


def agreed_case(med, now=T0):
    mediation_services.case_add_session(
        actor=med.mediator,
        case=med.case,
        notes="双方到场，各自陈述",
        now=now + dt.timedelta(days=1),
    )
    return mediation_services.case_record_outcome(
        actor=med.mediator,
        case=med.case,
        outcome="agreed",
        agreement_text="一方三日内清理杂物，另一方不再张贴告示",
        now=now + dt.timedelta(days=2),
    )


def assert_ledger_consistent():
    for journal in Journal.objects.all():
        assert journal.postings.aggregate(s=Sum("amount"))["s"] == 0, journal
    for account in Account.objects.all():
        agg = account.postings.aggregate(s=Sum("amount"))
        assert account.balance == (agg["s"] or 0), account
        assert account.version == account.postings.count(), account
        if account.kind == AccountKind.MAIN:
            assert account.balance >= 0
            lots = account.lots.aggregate(s=Sum("remaining"))["s"] or 0
            assert lots == account.balance, account


def give(holder, amount, key="seed"):
    return points_earn(
        holder=holder, amount=amount, reason="服务", source="test", idempotency_key=key
    )


def item(community, name="毛巾", price=10, stock=5, **kw):
    return ShopItem.objects.create(community=community, name=name, price=price, stock=stock, **kw)


def order(holder, shop_item, key="o1", quantity=1, actor=None):
    return redemption_order(
        holder=holder, item=shop_item, quantity=quantity, actor=actor, idempotency_key=key
    )


VOTE_FROM = dt.date(2026, 10, 10)
VOTE_TO = dt.date(2026, 10, 20)


def verify(world, *residents):
    for resident in residents:
        honours_services.resident_verify(
            resident=resident, method="committee", actor=world.users.staff_a
        )


def voter(world, name: str, room: str, *, verified=True):
    household = make_household(world.y2, room)
    resident = make_resident(household, name)
    user = make_user(f"voter_{room}", role=UserRole.RESIDENT, community=world.a, resident=resident)
    if verified:
        verify(world, resident)
    return user


def new_election(world, **overrides) -> Election:
    fields = dict(
        community=world.a,
        title="2026年度X社区身边好人",
        max_choices=2,
        seats=2,
        vote_from=VOTE_FROM,
        vote_to=VOTE_TO,
        actor=world.users.staff_a,
    )
    fields.update(overrides)
    return honours_services.election_create(**fields)


def voting_election(world, **overrides) -> tuple[Election, list[Candidate]]:
    election = new_election(world, **overrides)
    staff = world.users.staff_a
    candidates = [
        honours_services.candidate_nominate(
            election=election,
            name=name,
            category=category,
            deeds="多年照顾独居老人",
            actor=staff,
        )
        for name, category in [
            ("张三", GoodPersonCategory.HELPING),
            ("李四", GoodPersonCategory.BRAVERY),
            ("王五", GoodPersonCategory.FILIAL),
        ]
    ]
    rejected = honours_services.candidate_nominate(
        election=election, name="赵六", category="honesty", deeds="拾金不昧", actor=staff
    )
    honours_services.election_start_screening(election=election, actor=staff)
    for candidate in candidates:
        honours_services.candidate_screen(candidate=candidate, accepted=True, actor=staff)
    honours_services.candidate_screen(
        candidate=rejected, accepted=False, note="事迹不实", actor=staff
    )
    honours_services.election_open_voting(election=election, actor=staff)
    election.refresh_from_db()
    return election, candidates


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone())


def serve(world, day: dt.date, minutes: int, status=RecordStatus.APPROVED, **person):
    activity = Activity.objects.create(
        title=f"清扫 {day} {minutes}",
        kind="service",
        community=world.a,
        organiser_team=world.team_a,
        date=day,
    )
    return ServiceRecord.objects.create(
        activity=activity, minutes=minutes, status=status, recorded_at=at(day), **person
    )


def propose(world, **kw):
    args = dict(
        actor=world.users.staff_a,
        kind=Kind.MICRO_RENOVATION,
        title="1栋非机动车棚",
        description="楼下电动车乱停，建一个带充电桩的车棚",
        building=world.y1,
        budget="38000",
        planner=world.p_neighbour,
    )
    args.update(kw)
    return projects_services.project_propose(**args)


def refused(code, fn, **kw):
    with pytest.raises(ProjectError) as info:
        fn(**kw)
    assert info.value.code == code
    return info.value


def to_stage(world, project, stage):
    staff = world.users.staff_a
    steps = [
        (Stage.PRE_EVALUATION, lambda: projects_services.project_open_pre_evaluation(actor=staff, project=project)),
        (Stage.APPROVED, lambda: projects_services.project_decide(actor=staff, project=project, approve=True, reasoning="多数支持")),
        (Stage.IN_PROGRESS, lambda: projects_services.project_start(actor=staff, project=project)),
        (Stage.COMPLETED, lambda: projects_services.project_complete(actor=staff, project=project)),
        (Stage.POST_EVALUATION, lambda: projects_services.project_open_post_evaluation(actor=staff, project=project)),
    ]  # fmt: skip
    for target, step in steps:
        project = step()
        if target == stage:
            return project
    raise AssertionError(stage)


def assert_list_queries_pinned(client, url: str, build, queries: int, *, n: int = 3):
    """Build ``n`` rows (``build()`` makes one and returns a text the list shows for it) and
    GET ``url``; build ``n`` more and GET it again. Both times exactly ``queries`` queries, and
    the rows are there: a page shows every row's text, an API list's ``count`` grew by ``n``."""
    counts: list[int] = []
    totals: list[int] = []
    names: list[str] = []
    for _round in range(2):
        names += [build() for _ in range(n)]
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts.append(len(captured.captured_queries))
        if response["Content-Type"].startswith("application/json"):
            totals.append(response.json()["count"])
        else:
            page = response.content.decode()
            assert [name for name in names if name not in page] == [], url
    if totals:
        assert totals[1] - totals[0] == n, (url, totals)
    sql = "\n".join(query["sql"][:200] for query in captured.captured_queries)
    assert counts == [queries, queries], f"{url}: {counts} queries with {n} and {2 * n} rows\n{sql}"


def party_tree(world) -> dict:
    """The Party's tree of the persona world down to the compounds of X社区: 琴台街道党工委 (by the
    official), X社区党委 and Y社区党委 under it, 渔家苑党支部 and 锦绣园党支部 (by staff_a)."""
    from gongzhi.party.models import OrgLevel
    from gongzhi.party.services import party_org_create

    u = world.users
    sub = party_org_create(
        actor=u.official, name="琴台街道党工委", level=OrgLevel.SUBDISTRICT, place=world.sub
    )
    a = party_org_create(
        actor=u.official, name="X社区党委", level=OrgLevel.COMMUNITY, place=world.a, parent=sub
    )
    b = party_org_create(
        actor=u.official, name="Y社区党委", level=OrgLevel.COMMUNITY, place=world.b, parent=sub
    )
    yujia = party_org_create(
        actor=u.staff_a, name="渔家苑党支部", level=OrgLevel.COMPOUND, place=world.yujia, parent=a
    )
    jinxiu = party_org_create(
        actor=u.staff_a, name="锦绣园党支部", level=OrgLevel.COMPOUND, place=world.jinxiu, parent=a
    )
    return dict(sub=sub, a=a, b=b, yujia=yujia, jinxiu=jinxiu)


def refused_key_inserts(monkeypatch) -> list:
    """Record each insert of a submit's ``Idempotency-Key`` that the key's unique index refused
    (a retry of a submit that was taken, or one racing it: the submit looks nothing up before
    its insert); returns the list, for the test to check that this path was taken. The key's
    insert is the one refused when every row before it got its id and the key did not, or, when
    all the rows are one statement (PostgreSQL), when the error names the key's constraint."""
    from django.db import IntegrityError

    from gongzhi.core import rawsql
    from gongzhi.matters.models import SubmitKey

    real_run = rawsql.Inserts.run
    refused: list[str] = []

    def run(self):
        try:
            return real_run(self)
        except IntegrityError as exc:
            groups = [group for _sql, _params, _pending, group in self.statements]
            *before, last = groups
            if not isinstance(last[0], SubmitKey) or last[0].pk is not None:
                raise
            if self.single is not None:
                # One statement for every row (PostgreSQL): the error names the constraint.
                if "submit_key_unique" in str(exc):
                    refused.append(last[0].key)
            elif all(obj.pk is not None for group in before for obj in group):
                refused.append(last[0].key)
            raise

    monkeypatch.setattr(rawsql.Inserts, "run", run)
    return refused


def cleaning_activity(world, day: dt.date = dt.date(2026, 3, 14)):
    """A service activity (楼道清扫) of team A at 渔家苑, organised by partner A."""
    from gongzhi.volunteering import services as volunteering
    from gongzhi.volunteering.models import ActivityKind

    return volunteering.activity_create(
        title="楼道清扫",
        kind=ActivityKind.SERVICE,
        organiser=world.team_a,
        actor=world.users.partner_a,
        date=day,
        compound=world.yujia,
    )

"""core.services.Transitions.locked: the rows named in ``related`` come with the locked row in
one query; only the row itself is locked unless ``lock_related`` (checked in the SQL on
PostgreSQL, where ``FOR UPDATE`` is real)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.core.services import Transitions
from gongzhi.volunteering import services
from gongzhi.volunteering.models import RecordEvent, ServiceRecord
from gongzhi.volunteering.services import VolunteeringError
from gongzhi.volunteering.services._base import BAD_STATE, records, stars
from tests.helpers import cleaning_activity


@pytest.fixture
def record(world):
    activity = cleaning_activity(world)
    return services.service_record_add(
        activity=activity, participant=world.p_construction, minutes=60, actor=world.users.staff_a
    )


def _locking(flow, obj):
    with CaptureQueriesContext(connection) as queries:
        fresh = flow.locked(obj)
        title = fresh.activity.title if flow.related else None
    return fresh, title, [q["sql"] for q in queries.captured_queries]


def _for_update(sql: str) -> str:
    return sql[sql.rindex("FOR UPDATE") :] if "FOR UPDATE" in sql else ""


def test_related_rows_come_with_the_locked_row(record):
    fresh, title, sqls = _locking(records, ServiceRecord(pk=record.pk))
    assert fresh == record and title == "楼道清扫"
    assert len(sqls) == 1  # the activity was read in the same query
    if connection.vendor == "postgresql":
        assert _for_update(sqls[0]).startswith("FOR UPDATE OF ")  # the record alone


def test_lock_related_locks_the_whole_join(record):
    flow = Transitions(
        ServiceRecord,
        RecordEvent,
        "record",
        error=VolunteeringError,
        bad_state=BAD_STATE,
        related=("activity",),
        lock_related=True,
    )
    fresh, title, sqls = _locking(flow, record)
    assert fresh == record and title == "楼道清扫" and len(sqls) == 1
    if connection.vendor == "postgresql":
        assert _for_update(sqls[0]).startswith("FOR UPDATE") and " OF " not in _for_update(sqls[0])


def test_no_related_reads_the_row_alone(record):
    assert stars.related == () and records.related == ("activity",)
    flow = Transitions(
        ServiceRecord, RecordEvent, "record", error=VolunteeringError, bad_state=BAD_STATE
    )
    fresh, _, sqls = _locking(flow, record)
    assert fresh == record and len(sqls) == 1
    assert "JOIN" not in sqls[0]  # no select_related() of every foreign key

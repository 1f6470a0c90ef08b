"""The long list exports (residents, households, matters) are streamed from a temporary file,
keep their audit record, and hold the same rows as the list on screen."""

import io

import openpyxl
import pytest
from django.http import FileResponse
from django.urls import reverse

from gongzhi.audit.models import AuditAction, AuditRecord
from tests.conftest import login
from tests.factories_matters import make_matter


@pytest.mark.parametrize(
    ("view", "subject", "first_header"),
    [
        ("people:residents", "export:people:residents", "小区"),
        ("people:households", "export:people:households", None),
        ("matters:list", "export:matters:list", "编号"),
    ],
)
def test_long_exports_stream_a_file_and_are_recorded(client, world, view, subject, first_header):
    make_matter(building=world.y1)
    login(client, world.users.staff_a)
    response = client.get(reverse(view), {"format": "xlsx"})
    assert response.status_code == 200
    assert isinstance(response, FileResponse) and response.streaming
    content = b"".join(response.streaming_content)
    # Not response.close(): its request_finished signal would close the test's database
    # connection on PostgreSQL; the temporary file goes with the response.
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].values)
    assert len(rows) > 1
    if first_header:
        assert rows[0][0] == first_header
    record = AuditRecord.objects.get(action=AuditAction.EXPORT, subject=subject)
    assert record.detail["rows"] == len(rows) - 1

"""The annual report prepared in the background: queued from the page, drawn by the worker's
job, offered for download to the person who asked, and only to them."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from docx import Document

from gongzhi.insights import report, report_jobs
from gongzhi.insights.models import ReportJob
from gongzhi.ops.jobs import jobs_named
from tests.factories_matters import make_matter

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _prepare(client, user, **data):
    client.force_login(user)
    year = timezone.localdate().year
    return client.post(reverse("dashboard:report_prepare"), {"year": year, **data}, **HTMX)


def _job_html(client, job) -> str:
    response = client.get(reverse("dashboard:report_job", args=[job.pk]), **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_a_report_is_queued_prepared_by_the_worker_job_and_downloaded(client, world):
    make_matter(building=world.y1)
    response = _prepare(client, world.users.staff_a)
    assert response.status_code == 200
    page = response.content.decode()
    assert "正在生成，完成后可在此下载" in page and "every 3s" in page
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.QUEUED and job.requested_by == world.users.staff_a
    assert job.place == f"community:{world.a.pk}"  # the staff's community, all of it
    # Asking again while it is queued does not queue a second one.
    _prepare(client, world.users.staff_a)
    assert ReportJob.objects.count() == 1

    assert jobs_named(["annual_reports"])[0].command == "annual_reports"
    call_command("annual_reports", stdout=io.StringIO())
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE and job.finished_at is not None
    html = _job_html(client, job)
    download = reverse("dashboard:report_download", args=[job.pk])
    assert download in html and "every 3s" not in html  # polling stops when it is ready

    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"].endswith("wordprocessingml.document")
    doc = Document(io.BytesIO(response.content))
    assert "社区治理年报" in "\n".join(p.text for p in doc.paragraphs)
    assert len(doc.inline_shapes) >= 1  # charts drawn
    # The page lists it with its link.
    assert download in client.get(reverse("dashboard:report")).content.decode()


def test_a_failed_report_is_shown_in_chinese_and_the_next_one_still_runs(
    client, world, monkeypatch
):
    _prepare(client, world.users.staff_a)
    _prepare(client, world.users.staff_b)

    calls = []

    def broken(result):
        calls.append(result)
        if len(calls) == 1:
            raise RuntimeError("chart failed")
        return b"docx"

    monkeypatch.setattr(report, "document", broken)
    call_command("annual_reports", stdout=io.StringIO())
    first, second = ReportJob.objects.order_by("pk")
    assert first.status == ReportJob.Status.FAILED and "chart failed" in first.error
    assert second.status == ReportJob.Status.DONE
    client.force_login(world.users.staff_a)
    html = _job_html(client, first)
    assert "年报未能生成" in html and "chart failed" not in html
    assert reverse("dashboard:report_download", args=[first.pk]) not in html
    assert client.get(reverse("dashboard:report_download", args=[first.pk])).status_code == 404


def test_reports_finished_a_week_ago_are_deleted(client, world):
    _prepare(client, world.users.staff_a)
    _prepare(client, world.users.staff_b)
    call_command("annual_reports", stdout=io.StringIO())
    old, recent = ReportJob.objects.order_by("pk")
    ReportJob.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - report_jobs.KEEP - dt.timedelta(minutes=1)
    )
    call_command("annual_reports", stdout=io.StringIO())
    assert list(ReportJob.objects.values_list("pk", flat=True)) == [recent.pk]


def test_nobody_else_sees_or_downloads_a_report(client, world):
    _prepare(client, world.users.staff_a)
    call_command("annual_reports", stdout=io.StringIO())
    job = ReportJob.objects.get(status=ReportJob.Status.DONE)
    for other in (world.users.staff_b, world.users.admin, world.users.resident_a):
        client.force_login(other)
        assert client.get(reverse("dashboard:report_job", args=[job.pk])).status_code == 404
        download = reverse("dashboard:report_download", args=[job.pk])
        assert client.get(download).status_code == 404
        assert download not in client.get(reverse("dashboard:report")).content.decode()


@pytest.mark.parametrize("name", ["resident_a", "partner_a"])
def test_those_who_may_not_export_cannot_queue_a_report(client, world, name):
    assert _prepare(client, getattr(world.users, name)).status_code == 403
    assert not ReportJob.objects.exists()


def test_a_place_outside_the_reach_is_refused(client, world):
    response = _prepare(client, world.users.staff_a, place=f"community:{world.b.pk}")
    assert response.status_code == 400
    assert not ReportJob.objects.exists()

"""The annual report prepared in the background (issue 14): asked for on the report page,
drawn by ``gongzhi worker`` (job ``annual_reports``, every 10 seconds), offered for download
when ready.

Drawing the report's fourteen charts takes seconds (3.4 s on a quiet machine, 8–9 s under
load; ``docs/performance.md``), which a request should not hang on with nothing shown. The
page now queues a ``ReportJob`` and polls it; the worker claims queued jobs one at a time (a
conditional update, so two workers never draw the same one) and stores the file on the row.
The figures are computed as the person who asked, with their reach at the time of drawing,
and in the language they used. Only that person sees the job or downloads the file.
"""

import datetime as dt
import logging

from django.db.models import QuerySet
from django.utils import timezone, translation

from gongzhi.core.places import Place
from gongzhi.insights import report
from gongzhi.insights.dashboard import dashboard_place, figures, place_name
from gongzhi.insights.models import ReportJob
from gongzhi.insights.periods import Period
from gongzhi.listing.pages import require_export

log = logging.getLogger(__name__)

#: What the report page lists of one person's jobs.
SHOWN = 5
#: Prepared reports (and failures) are kept this long, then deleted with their files.
KEEP = dt.timedelta(days=7)


def year_period(year: int, today: dt.date) -> Period:
    """The report's period: the calendar year, up to today for the current one."""
    return Period(dt.date(year, 1, 1), min(dt.date(year, 12, 31), today))


def request_report(user, place: Place | None, year: int) -> ReportJob:
    """Queue the report of ``place`` (inside the user's reach, or all of it) for ``year``.

    Raises ``PermissionDenied`` for users who may not export and ``BadFilter`` for a place
    outside their reach, as the download does. Asking again while the same report is queued
    or being prepared returns that job instead of a second one.
    """
    require_export(user)
    place = dashboard_place(user, place)
    key = str(place) if place is not None else ""
    pending = mine(user).filter(
        place=key, year=year, status__in=(ReportJob.Status.QUEUED, ReportJob.Status.RUNNING)
    )
    return pending.first() or ReportJob.objects.create(
        requested_by=user,
        place=key,
        place_name=place_name(place),
        year=year,
        language=translation.get_language() or "zh-hans",
        created_at=timezone.now(),
    )


def mine(user) -> QuerySet[ReportJob]:
    """The jobs ``user`` asked for, newest first (never anyone else's)."""
    return ReportJob.objects.filter(requested_by=user).order_by("-created_at", "-pk")


def claim_next() -> ReportJob | None:
    """The oldest queued job, now marked running by this worker; None when there is none."""
    while True:
        job = ReportJob.objects.filter(status=ReportJob.Status.QUEUED).order_by("pk").first()
        if job is None:
            return None
        claimed = ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.QUEUED).update(
            status=ReportJob.Status.RUNNING
        )
        if claimed:
            job.status = ReportJob.Status.RUNNING
            return job


def prepare(job: ReportJob) -> ReportJob:
    """Draw a claimed job's report and store it; a failure is recorded on the job (and logged)
    rather than raised, so one bad report does not stop the others."""
    try:
        with translation.override(job.language):
            place = dashboard_place(job.requested_by, Place.parse(job.place))
            today = timezone.localdate()
            result = figures(job.requested_by, place, year_period(job.year, today))
            job.content = report.document(result)
            job.filename = report.filename(result, "docx")
        job.status = ReportJob.Status.DONE
        job.error = ""
    except Exception as exc:  # noqa: BLE001 - recorded on the job and shown as failed
        log.exception("annual report job %s failed", job.pk)
        job.status = ReportJob.Status.FAILED
        job.error = f"{type(exc).__name__}: {exc}"[:1000]
        job.content = b""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "content", "filename", "error", "finished_at"])
    return job


def run_queued(limit: int | None = None) -> list[ReportJob]:
    """Prepare queued jobs, oldest first (at most ``limit``); returns those prepared. Jobs
    finished more than ``KEEP`` ago are deleted first."""
    ReportJob.objects.filter(finished_at__lt=timezone.now() - KEEP).delete()
    done: list[ReportJob] = []
    while limit is None or len(done) < limit:
        job = claim_next()
        if job is None:
            break
        done.append(prepare(job))
    return done

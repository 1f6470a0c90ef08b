"""``gongzhi worker``: run every periodic job of ``jobs.JOBS`` in one process.

A job runs only while its lock is held (``locks.job_lock``) and only when it is due, checked
again under the lock from its latest ``JobRun``: so two workers, on one machine or several,
run each job once per period, and a worker that starts after a pause catches up at once.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import close_old_connections
from django.utils import timezone

from gongzhi.ops.jobs import Job
from gongzhi.ops.locks import job_lock
from gongzhi.ops.models import JobRun

log = logging.getLogger(__name__)
MESSAGE_LIMIT = 2000
KEEP_RUNS = dt.timedelta(days=14)


@dataclass
class Outcome:
    job: str
    status: str  # "ok", "failed", "not_due", "busy"
    message: str = ""
    seconds: float = 0.0
    next_due: dt.datetime | None = None

    def line(self) -> str:
        if self.status in {"ok", "failed"}:
            return f"{self.job}: {self.status} in {self.seconds:.2f} s: {self.message}"
        if self.status == "busy":
            return f"{self.job}: skipped, running in another worker"
        at = timezone.localtime(self.next_due).isoformat(timespec="seconds")
        return f"{self.job}: not due until {at}"


def last_started(job: Job) -> dt.datetime | None:
    return (
        JobRun.objects.filter(job=job.name)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )


def _run_command(job: Job) -> tuple[bool, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(job.command, *job.args, stdout=out, stderr=err)
    except SystemExit as exc:  # commands that report failure with an exit code
        ok = exc.code in (0, None)
    except Exception as exc:  # noqa: BLE001 - a failed job is recorded, the worker goes on
        log.exception("job %s failed", job.name)
        return False, f"{type(exc).__name__}: {exc}"[:MESSAGE_LIMIT]
    else:
        ok = True
    text = " ".join(part.strip() for part in (out.getvalue(), err.getvalue()) if part.strip())
    return ok, text[:MESSAGE_LIMIT]


def run_job(job: Job, *, now: dt.datetime | None = None) -> Outcome:
    """Run ``job`` if it is due and no other worker is running it."""
    with job_lock(job.name) as held:
        if not held:
            return Outcome(job.name, "busy")
        now = now or timezone.now()
        previous = last_started(job)
        if not job.is_due(previous, now):
            return Outcome(job.name, "not_due", next_due=job.next_due(previous))
        run = JobRun.objects.create(job=job.name, started_at=now, host=socket.gethostname())
        clock = time.monotonic()
        ok, message = _run_command(job)
        run.finished_at = timezone.now()
        run.ok = ok
        run.message = message
        run.save(update_fields=["finished_at", "ok", "message"])
        # Keep the record bounded: a minutely job leaves 20,000 rows in two weeks.
        JobRun.objects.filter(job=job.name, started_at__lt=now - KEEP_RUNS).delete()
        if not ok:
            log.error("job %s failed: %s", job.name, message)
        return Outcome(job.name, "ok" if ok else "failed", message, time.monotonic() - clock)


def run_due(jobs: list[Job]) -> list[Outcome]:
    """``gongzhi worker --once``: every job that is due, once, in table order."""
    return [run_job(job) for job in jobs]


def _scheduled(job: Job) -> None:
    close_old_connections()
    try:
        outcome = run_job(job)
        if outcome.status in {"ok", "failed"}:
            log.info(outcome.line())
    except Exception:  # the database may be away for a moment; the next firing retries
        log.exception("job %s could not run", job.name)
    finally:
        close_old_connections()


def run_forever(jobs: list[Job], *, parent_pid: int | None = None) -> None:
    """The long-running worker: APScheduler fires each job on its trigger; every job also
    fires once at start, so what is due (never run, or missed while no worker ran) runs now."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        timezone=timezone.get_current_timezone(),
    )
    start = timezone.now()
    for job in jobs:
        scheduler.add_job(
            _scheduled,
            job.trigger(),
            args=[job],
            id=job.name,
            name=job.name,
            next_run_time=start,
        )
    if parent_pid is not None:
        scheduler.add_job(
            _stop_when_gone, "interval", seconds=2, args=[scheduler, parent_pid], id="_parent"
        )
    # systemd and docker stop with SIGTERM: finish the running jobs, start no new ones.
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    scheduler.start()


def _stop_when_gone(scheduler, parent_pid: int) -> None:
    if os.getppid() != parent_pid:
        scheduler.shutdown(wait=False)


def start_beside(argv_prefix: list[str] | None = None) -> subprocess.Popen:
    """Start ``gongzhi worker`` as a child that stops when this process (or the program it
    ``exec``s into, which keeps the process id) ends: ``gongzhi demo`` uses it."""
    gongzhi = Path(sys.executable).with_name("gongzhi")
    argv = argv_prefix or (
        [str(gongzhi)] if gongzhi.exists() else [sys.executable, "-m", "gongzhi"]
    )
    return subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [*argv, "worker", "--parent-pid", str(os.getpid())]
    )

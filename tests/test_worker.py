"""``gongzhi worker``: every periodic job from one table, each run once per period even with
two workers (advisory lock on PostgreSQL, file lock on SQLite), ``--once`` runs what is due."""

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, connections

from gongzhi.ops.config import backup_dir, backup_keep, daily_time
from gongzhi.ops.jobs import JOBS, Job, enabled_jobs
from gongzhi.ops.locks import job_lock
from gongzhi.ops.models import JobRun
from gongzhi.ops.worker import run_due, run_job

UTC = dt.UTC


@pytest.fixture(autouse=True)
def _locks_in_tmp(settings, tmp_path):
    # SQLite's job locks live beside the database, in the data directory for the in-memory one.
    settings.DATA_DIR = tmp_path
    # The daily backup is off unless a folder is set (tests/test_backup.py turns it on).
    settings.GONGZHI_BACKUP_DIR = None


def _runs() -> dict[str, int]:
    counts = {job.name: 0 for job in enabled_jobs()}
    for name in JobRun.objects.values_list("job", flat=True):
        counts[name] += 1
    return counts


@pytest.mark.django_db
def test_once_runs_every_job_then_nothing_until_due():
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [job.name for job in enabled_jobs()]
    assert all(": ok in " in line for line in lines), lines
    assert _runs() == {job.name: 1 for job in enabled_jobs()}
    assert JobRun.objects.filter(ok=True, finished_at__isnull=False).count() == len(enabled_jobs())

    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert all(": not due until " in line for line in out.getvalue().splitlines())
    assert _runs() == {job.name: 1 for job in enabled_jobs()}


@pytest.mark.django_db
def test_interval_job_is_due_again_after_its_period():
    sweep = next(job for job in JOBS if job.name == "sweep")
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert run_job(sweep, now=start).status == "ok"
    assert run_job(sweep, now=start + dt.timedelta(seconds=30)).status == "not_due"
    # A scheduler fires a moment before a whole period has passed since the run started.
    assert run_job(sweep, now=start + dt.timedelta(seconds=59)).status == "ok"
    assert JobRun.objects.filter(job="sweep").count() == 2
    # Runs older than two weeks are forgotten as new ones are recorded.
    assert run_job(sweep, now=start + dt.timedelta(days=15)).status == "ok"
    assert JobRun.objects.filter(job="sweep").count() == 1


@pytest.mark.django_db
def test_daily_job_is_due_once_a_day_at_its_time():
    meetings = next(job for job in JOBS if job.name == "generate_meetings")  # 01:30 Shanghai
    ran = dt.datetime(2026, 3, 1, 17, 30, 2, tzinfo=UTC)  # 01:30:02 on 2 March in Shanghai
    assert run_job(meetings, now=ran).status == "ok"
    later = run_job(meetings, now=dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert later.status == "not_due"
    assert later.next_due == dt.datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    assert run_job(meetings, now=dt.datetime(2026, 3, 2, 17, 30, 1, tzinfo=UTC)).status == "ok"


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_the_others_still_run():
    broken = Job("broken", "no_such_command", "fails", every=dt.timedelta(minutes=1))
    sweep = next(job for job in JOBS if job.name == "sweep")
    outcomes = run_due([broken, sweep])
    assert [o.status for o in outcomes] == ["failed", "ok"]
    run = JobRun.objects.get(job="broken")
    assert run.ok is False and "no_such_command" in run.message


@pytest.mark.django_db
def test_unknown_job_is_refused_in_chinese():
    with pytest.raises(Exception, match="未知的任务"):
        call_command("worker", "--once", "--job", "nope")
    assert not JobRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_held_lock_turns_the_other_worker_away():
    sweep = next(job for job in JOBS if job.name == "sweep")
    seen = {}

    def other():
        try:
            seen["outcome"] = run_job(sweep).status
        finally:
            connections.close_all()

    with job_lock("sweep") as held:
        assert held
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert seen["outcome"] == "busy"
    assert not JobRun.objects.exists()
    assert run_job(sweep).status == "ok"


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_each_job_once(tmp_path):
    if connection.vendor == "postgresql":
        # Two threads, each with its own connection: the advisory locks are per session.
        barrier = threading.Barrier(2)
        results = []

        def worker():
            try:
                barrier.wait()
                results.append(run_due(enabled_jobs()))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = [o.status for outcomes in results for o in outcomes]
        assert statuses.count("ok") == len(enabled_jobs()), statuses
        assert _runs() == {job.name: 1 for job in enabled_jobs()}
        return
    # SQLite: two processes on one database file (a copy of the migrated test database).
    database = tmp_path / "gongzhi.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(database)
    connection.connection.backup(target)
    target.close()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_BACKUP_DIR")},
        "DATABASE_URL": f"sqlite:///{database}",
        "GONGZHI_DATA_DIR": str(tmp_path),
    }
    gongzhi = Path(sys.executable).with_name("gongzhi")
    workers = [
        subprocess.Popen(  # noqa: S603 - our own command
            [str(gongzhi), "worker", "--once"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    ran = [line.split(":")[0] for out in outputs for line in out.splitlines() if ": ok in " in line]
    assert sorted(ran) == sorted(job.name for job in enabled_jobs()), outputs
    with sqlite3.connect(database) as check:
        rows = check.execute("SELECT job, COUNT(*) FROM ops_jobrun GROUP BY job").fetchall()
    assert dict(rows) == {job.name: 1 for job in enabled_jobs()}


def test_a_worker_started_beside_a_server_stops_when_the_server_is_gone():
    from gongzhi.ops.worker import _stop_when_gone

    class Scheduler:
        stopped = False

        def shutdown(self, wait):
            self.stopped = True

    beside = Scheduler()
    _stop_when_gone(beside, os.getppid())
    assert not beside.stopped
    _stop_when_gone(beside, os.getppid() + 1)
    assert beside.stopped


def test_the_daily_backup_is_off_until_a_folder_is_set(settings, tmp_path):
    backup = next(job for job in JOBS if job.name == "backup")
    assert backup not in enabled_jobs()
    settings.GONGZHI_BACKUP_DIR = tmp_path / "backups"
    assert backup in enabled_jobs()
    # Its time of day is read from GONGZHI_BACKUP_TIME when the worker schedules it.
    settings.GONGZHI_BACKUP_TIME = daily_time("23:05", name="GONGZHI_BACKUP_TIME")
    assert backup.schedule() == "cron hour=23 minute=5"
    ran = dt.datetime(2026, 3, 2, 15, 5, 1, tzinfo=UTC)  # 23:05:01 in Shanghai
    assert backup.next_due(ran) == dt.datetime(2026, 3, 3, 15, 5, tzinfo=UTC)


@pytest.mark.django_db
def test_the_worker_leaves_the_backup_out_while_it_is_off(tmp_path):
    out = StringIO()
    call_command("worker", "--list", stdout=out)
    listed = dict(line.split("\t", 1) for line in out.getvalue().splitlines())
    assert "off: GONGZHI_BACKUP_DIR is not set" in listed["backup"]
    assert "gongzhi audit --purge" in listed["audit_purge"]
    with pytest.raises(Exception, match="任务 backup 未启用"):
        call_command("worker", "--once", "--job", "backup")
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "backup" not in [line.split(":")[0] for line in out.getvalue().splitlines()]
    assert not JobRun.objects.filter(job="backup").exists()
    assert not list(tmp_path.glob("**/*.tar.gz"))


@pytest.mark.django_db
def test_the_audit_purge_runs_daily_from_the_worker(settings):
    from gongzhi.audit.models import AuditRecord

    purge = next(job for job in JOBS if job.name == "audit_purge")
    assert purge in enabled_jobs()
    assert run_job(purge).status == "ok"
    assert AuditRecord.objects.filter(action="purge").count() == 1
    settings.GONGZHI_AUDIT_RETENTION_DAYS = 0  # refused: recorded as a failed run
    JobRun.objects.all().delete()
    outcome = run_job(purge)
    assert outcome.status == "failed" and "GONGZHI_AUDIT_RETENTION_DAYS" in outcome.message


@pytest.mark.parametrize(
    ("value", "fields"), [("02:30", {"hour": 2, "minute": 30}), ("7:05", {"hour": 7, "minute": 5})]
)
def test_backup_time_is_a_time_of_day(value, fields):
    assert daily_time(value, name="GONGZHI_BACKUP_TIME") == fields


@pytest.mark.parametrize("value", ["24:00", "2:3", "02:30:00", "nightly", ""])
def test_a_bad_backup_setting_stops_the_start(value):
    with pytest.raises(ImproperlyConfigured, match="GONGZHI_BACKUP_TIME"):
        daily_time(value, name="GONGZHI_BACKUP_TIME")


def test_backup_folder_and_keep_are_checked():
    assert backup_dir("") is None and backup_dir(None) is None
    assert backup_dir("/var/backups/gongzhi") == Path("/var/backups/gongzhi")
    with pytest.raises(ImproperlyConfigured, match="absolute"):
        backup_dir("backups")
    assert backup_keep(14) == 14
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        backup_keep(0)


def test_the_demo_starts_the_worker_beside_the_server(monkeypatch):
    """``./dev demo`` (``gongzhi demo``): the worker starts, then the server replaces the
    process; the worker is told the server's process id and stops when it is gone."""
    from gongzhi.demo.management.commands import demo, seed_demo
    from gongzhi.ops import worker

    calls = []
    monkeypatch.setattr(seed_demo.Command, "handle", lambda self, *a, **k: None)
    monkeypatch.setattr(demo, "call_command", lambda *a, **k: None)
    monkeypatch.setattr(demo, "granian_binary", lambda: "/usr/bin/granian")
    monkeypatch.setattr(demo, "start_beside", lambda: calls.append("worker"))
    monkeypatch.setattr(demo.os, "execve", lambda path, argv, env: calls.append(path))
    call_command("demo", stdout=StringIO())
    assert calls == ["worker", "/usr/bin/granian"]

    started = []
    monkeypatch.setattr(worker.subprocess, "Popen", lambda argv: started.append(argv))
    worker.start_beside(["gongzhi"])
    assert started == [["gongzhi", "worker", "--parent-pid", str(os.getpid())]]

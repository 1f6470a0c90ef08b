"""The periodic jobs ``gongzhi worker`` runs: one table, in one place (docs/deployment.md).

Each job is a management command that is already safe to run again at any time; the worker
adds the schedule, the lock (never two runs of one job at once, on any machine) and a
``JobRun`` row per run. To add a job, add a line here and to the table in
docs/deployment.md. A job with ``needs`` is off (left out of the worker) while that setting is
empty; one with ``cron_setting`` reads its daily time from that setting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from apscheduler.triggers.cron import CronTrigger
from django.conf import settings


@dataclass(frozen=True)
class Job:
    name: str
    command: str
    what: str
    every: dt.timedelta | None = None
    #: CronTrigger fields in the site's time zone, e.g. {"hour": 2, "minute": 10}.
    cron: dict = field(default_factory=dict)
    args: tuple[str, ...] = ()
    #: A setting holding the daily time as cron fields (``ops.config.daily_time``), read when
    #: the job is scheduled: the time is configurable.
    cron_setting: str = ""
    #: A setting without which the job is off: the worker leaves it out while it is empty.
    needs: str = ""

    def cron_fields(self) -> dict:
        if self.cron_setting:
            return dict(getattr(settings, self.cron_setting))
        return dict(self.cron)

    def enabled(self) -> bool:
        return not self.needs or bool(getattr(settings, self.needs, None))

    def trigger(self):
        """The APScheduler trigger for the long-running worker."""
        from apscheduler.triggers.interval import IntervalTrigger

        if self.every is not None:
            return IntervalTrigger(seconds=self.every.total_seconds())
        return CronTrigger(timezone=settings.TIME_ZONE, **self.cron_fields())

    def next_due(self, last_started: dt.datetime | None) -> dt.datetime | None:
        """When the job is next due after a run that started at ``last_started``; ``None``
        (at once) when it never ran."""
        if last_started is None:
            return None
        if self.every is not None:
            return last_started + self.every
        trigger = CronTrigger(timezone=settings.TIME_ZONE, **self.cron_fields())
        return trigger.get_next_fire_time(None, last_started + dt.timedelta(seconds=1))

    def is_due(self, last_started: dt.datetime | None, now: dt.datetime) -> bool:
        due = self.next_due(last_started)
        # A scheduler fires a few milliseconds after the previous run started: allow slack so
        # that a run started late does not push the next one a whole period away.
        return due is None or due <= now + slack(self)

    def schedule(self) -> str:
        if self.every is not None:
            return f"every {int(self.every.total_seconds())} s"
        return "cron " + " ".join(f"{key}={value}" for key, value in self.cron_fields().items())


def slack(job: Job) -> dt.timedelta:
    if job.every is None:
        return dt.timedelta(seconds=5)
    return min(dt.timedelta(seconds=5), job.every / 10)


MINUTE = dt.timedelta(minutes=1)

JOBS: list[Job] = [
    Job(
        "sweep",
        "sweep",
        "overdue matters and escalation, shop orders past pickup, points claims after "
        "publicity and expiry, mediation follow-ups, missed care visits",
        every=MINUTE,
    ),
    Job("send_outbox", "send_outbox", "send the due SMS / WeCom messages", every=MINUTE),
    Job("send_hotline", "send_hotline", "send queued answers to the 12345 hotline", every=MINUTE),
    Job(
        "annual_reports",
        "annual_reports",
        "prepare the annual reports people asked for on the report page",
        every=dt.timedelta(seconds=10),
    ),
    Job(
        "rollup",
        "rollup",
        "refresh the dashboards' pre-aggregated rows, the index and the network's snapshots",
        every=5 * MINUTE,
    ),
    Job(
        "generate_meetings",
        "generate_meetings",
        "create the coming weeks' meetings of every series",
        cron={"hour": 1, "minute": 30},
    ),
    Job(
        "ledger_check",
        "ledger_check",
        "verify the points ledger (a failed run is recorded and logged)",
        cron={"hour": 4, "minute": 0},
    ),
    Job(
        "audit_purge",
        "audit",
        "delete the audit records older than GONGZHI_AUDIT_RETENTION_DAYS (and record that)",
        cron={"hour": 3, "minute": 30},
        args=("--purge",),
    ),
    Job(
        "backup",
        "backup",
        "back up the database and files into GONGZHI_BACKUP_DIR, keep the newest "
        "GONGZHI_BACKUP_KEEP (only when GONGZHI_BACKUP_DIR is set)",
        cron_setting="GONGZHI_BACKUP_TIME",
        args=("--scheduled",),
        needs="GONGZHI_BACKUP_DIR",
    ),
]


def enabled_jobs() -> list[Job]:
    """The jobs the worker runs: every job of the table whose ``needs`` setting is set."""
    return [job for job in JOBS if job.enabled()]


def jobs_named(names: list[str] | None) -> list[Job]:
    """The named jobs (in the order given), or every enabled job."""
    if not names:
        return enabled_jobs()
    by_name = {job.name: job for job in JOBS}
    return [by_name[name] for name in names]

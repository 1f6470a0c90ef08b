"""``gongzhi worker``: run the periodic jobs (sweep, outbox, rollup, meetings …) in one process;
``--once`` runs what is due and exits. Safe to run on several machines (one lock per job)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.ops.jobs import JOBS, jobs_named
from gongzhi.ops.worker import run_due, run_forever


class Command(BaseCommand):
    help = "Run every periodic job on its schedule (or, with --once, what is due now)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is due, then exit")
        parser.add_argument(
            "--job", action="append", dest="jobs", metavar="NAME", help="only this job (repeat)"
        )
        parser.add_argument("--list", action="store_true", help="print the jobs and exit")
        parser.add_argument("--parent-pid", type=int, help="stop when this process ends")

    def handle(self, *args, once=False, jobs=None, list=False, parent_pid=None, **options):
        known = {job.name for job in JOBS}
        unknown = sorted(set(jobs or ()) - known)
        if unknown:
            raise CommandError(
                _("Unknown job %(jobs)s; the jobs are: %(known)s")
                % {"jobs": ", ".join(unknown), "known": ", ".join(sorted(known))}
            )
        named = jobs_named(jobs or [job.name for job in JOBS])
        if list:
            # Every job of the table, the ones that are off marked with the setting they need.
            for job in named:
                state = "" if job.enabled() else f"\toff: {job.needs} is not set"
                command = " ".join(["gongzhi", job.command, *job.args])
                self.stdout.write(f"{job.name}\t{job.schedule()}\t{command}\t{job.what}{state}")
            return
        off = [job for job in named if not job.enabled()]
        if jobs and off:
            raise CommandError(
                _("Job %(job)s is off: set %(setting)s to turn it on.")
                % {"job": off[0].name, "setting": off[0].needs}
            )
        chosen = jobs_named(jobs)
        if once:
            outcomes = run_due(chosen)
            for outcome in outcomes:
                self.stdout.write(outcome.line())
            if any(outcome.status == "failed" for outcome in outcomes):
                raise SystemExit(1)
            return
        self.stdout.write(_("Worker started: %(count)d jobs") % {"count": len(chosen)})
        self.stdout.flush()
        run_forever(chosen, parent_pid=parent_pid)

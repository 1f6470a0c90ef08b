"""``gongzhi annual_reports``: prepare the annual reports people asked for on the report page
(run by ``gongzhi worker`` every 10 seconds; safe to run by hand at any time)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gongzhi.insights.models import ReportJob
from gongzhi.insights.report_jobs import run_queued


class Command(BaseCommand):
    help = "Prepare the queued annual reports (社区治理年报) for download."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="prepare at most this many")

    def handle(self, *args, limit=None, **options):
        jobs = run_queued(limit)
        failed = sum(job.status == ReportJob.Status.FAILED for job in jobs)
        self.stdout.write(
            _("%(done)d annual reports prepared, %(failed)d failed.")
            % {"done": len(jobs) - failed, "failed": failed}
        )

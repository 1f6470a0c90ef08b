"""``gongzhi network_snapshot``: compute the collaboration network's monthly metrics.

Safe to run every few minutes (cron): it fills missing months of the last year and refreshes
the current and previous month. ``--month 2026-03`` recomputes one month for every scope.
"""

import datetime as dt

from django.core.management import BaseCommand, CommandError
from django.utils import timezone

from gongzhi.network.services import all_scopes, snapshot_month, snapshot_step


class Command(BaseCommand):
    help = "Compute the collaboration network's metrics per month, community and compound."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="recompute one month, written YYYY-MM")

    def handle(self, *args, month=None, **options):
        now = timezone.now()
        if month is None:
            counts = snapshot_step(now=now)
            self._report(counts["network_snapshots"], counts["network_snapshots_changed"])
            return
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise CommandError(f"--month must be YYYY-MM, not {month!r}") from None
        done = snapshot_month(month=first, scopes=all_scopes(), now=now)
        self._report(done["computed"], done["written"])

    def _report(self, computed: int, changed: int) -> None:
        self.stdout.write(f"network snapshots computed: {computed}, created or changed: {changed}")

"""``gongzhi network_snapshot``: compute the collaboration network's monthly metrics.

Safe to run every few minutes (cron): it fills missing months of the last year and refreshes
the current and previous month. ``--month 2026-03`` recomputes one month for every scope.
"""

import datetime as dt

from django.core.management import BaseCommand, CommandError
from django.utils import timezone

from gongzhi.network.services import network_snapshot_refresh, snapshot_step
from gongzhi.places.models import Community, Compound


class Command(BaseCommand):
    help = "Compute the collaboration network's metrics per month, community and compound."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="recompute one month, written YYYY-MM")

    def handle(self, *args, month=None, **options):
        now = timezone.now()
        if month is None:
            counts = snapshot_step(now=now)
            self.stdout.write(f"network snapshots written: {counts['network_snapshots']}")
            return
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise CommandError(f"--month must be YYYY-MM, not {month!r}") from None
        written = 0
        for community in Community.objects.all():
            network_snapshot_refresh(month=first, community=community, now=now)
            written += 1
        for compound in Compound.objects.select_related("community"):
            network_snapshot_refresh(
                month=first, community=compound.community, compound=compound, now=now
            )
            written += 1
        self.stdout.write(f"network snapshots written: {written}")

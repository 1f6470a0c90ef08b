"""``gongzhi rollup``: refresh the insight rollups; safe to run every few minutes."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.insights.rollup import rollup


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("Give the day as YYYY-MM-DD, not %(value)s") % {"value": value}
        ) from None


class Command(BaseCommand):
    help = "Recompute the rollup rows of days touched since the last run; prints JSON counts."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=_day, help="Also recompute every day from DAY on.")
        parser.add_argument("--full", action="store_true", help="Recompute every day.")

    def handle(self, *args, since=None, full=False, **options):
        self.stdout.write(json.dumps(rollup(since=since, full=full), sort_keys=True))

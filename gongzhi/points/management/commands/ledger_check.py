"""``gongzhi ledger_check``: verify the points ledger; exit code 1 on any difference."""

import json
import sys

from django.core.management.base import BaseCommand

from gongzhi.points.checks import ledger_check


class Command(BaseCommand):
    help = (
        "Check that every journal sums to zero and every cached balance equals the sum of its "
        "postings; prints JSON and exits with code 1 listing any difference."
    )

    def handle(self, *args, **options):
        report = ledger_check()
        self.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True))
        if not report["ok"]:
            sys.exit(1)

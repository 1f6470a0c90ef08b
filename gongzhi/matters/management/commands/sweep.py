"""``gongzhi sweep``: the periodic housekeeping; safe to run every minute (idempotent)."""

import json

from django.core.management.base import BaseCommand

from gongzhi.matters.sweep import sweep


class Command(BaseCommand):
    help = "Mark overdue matters, escalate them and report unanswered whistles; prints JSON."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(sweep(), sort_keys=True))

"""``gongzhi care_sweep``: report missed care visits to staff (also a step of ``gongzhi sweep``);
safe to run every minute (each missed due day is reported once)."""

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from gongzhi.visits.sweep import escalate_missed_care


class Command(BaseCommand):
    help = "Report care visits missed by more than three days to community staff; prints JSON."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(escalate_missed_care(timezone.now()), sort_keys=True))

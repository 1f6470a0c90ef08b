"""``gongzhi send_outbox``: send the due messages of the outbox; safe to run every minute, and
from several processes at once (each message is claimed by one sender only)."""

from django.core.management.base import BaseCommand, CommandError

from gongzhi.notifications.outbox import send_due


class Command(BaseCommand):
    help = "Send queued outbound messages that are due (SMS, WeCom); prints a one-line summary."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=500, help="send at most this many messages (default 500)"
        )

    def handle(self, *args, limit: int, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        self.stdout.write(str(send_due(limit=limit)))

"""``gongzhi send_hotline``: send the queued answers of the http adapter to the hotline; safe to
run every minute, and from several processes at once (each answer is claimed by one sender)."""

from django.core.management.base import BaseCommand, CommandError

from gongzhi.hotline.adapters import send_due


class Command(BaseCommand):
    help = "Send queued answers (sign, reply, return, extension) to the 12345 hotline over HTTP."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200, help="at most this many answers")

    def handle(self, *args, limit: int, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        self.stdout.write(str(send_due(limit=limit)))

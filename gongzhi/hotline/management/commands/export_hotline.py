"""``gongzhi export_hotline --output F.xlsx``: the spreadsheet adapter — every queued answer to
the hotline in one file, marked sent once written (docs/hotline.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gongzhi.hotline.adapters import spreadsheet_export


class Command(BaseCommand):
    help = "Export the queued answers to the 12345 hotline as .xlsx and mark them sent."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="the .xlsx file to write")

    def handle(self, *args, output: str, **options):
        content, count = spreadsheet_export()
        Path(output).write_bytes(content)
        self.stdout.write(_("Exported answers: %(count)d.") % {"count": count})

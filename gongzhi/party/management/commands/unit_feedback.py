"""``gongzhi unit_feedback --community NAME --quarter 2026Q4 --output F.xlsx|F.docx``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.core.excel import system_user
from gongzhi.party import feedback, selectors
from gongzhi.places.community_io import command_community


class Command(BaseCommand):
    help = "Write the quarterly feedback letters to the reporting units (为单位反馈报到表现)."

    def add_arguments(self, parser):
        parser.add_argument("--community", help="community name (needed if there are several)")
        parser.add_argument("--quarter", required=True, help="the quarter, e.g. 2026Q4")
        parser.add_argument("--output", required=True, help="a file name ending .docx or .xlsx")

    def handle(self, *args, community=None, quarter: str, output: str, **options):
        path = Path(output)
        suffix = path.suffix.lower()
        if suffix not in (".docx", ".xlsx"):
            raise CommandError(_("The output file must end with .docx or .xlsx."))
        try:
            start, end = selectors.parse_quarter(quarter)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        target = command_community(community)
        quarter = quarter.strip().upper()
        rows = selectors.unit_feedback(system_user(), community_id=target.pk, start=start, end=end)
        build = feedback.document if suffix == ".docx" else feedback.workbook
        path.write_bytes(build(target, quarter, rows))
        self.stdout.write(_("Wrote %(path)s") % {"path": path})

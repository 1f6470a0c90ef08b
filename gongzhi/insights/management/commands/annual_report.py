"""``gongzhi annual_report --community NAME --year 2026 --output report.docx`` (or ``.xlsx``)."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.excel import system_user
from gongzhi.core.places import Place
from gongzhi.insights import report
from gongzhi.insights.dashboard import Period, figures
from gongzhi.places.community_io import command_community


class Command(BaseCommand):
    help = "Write the annual report (社区治理年报) of a community as .docx or .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("--community", help="community name (needed if there are several)")
        parser.add_argument("--year", type=int, help="the year (default: this year)")
        parser.add_argument("--output", required=True, help="a file name ending .docx or .xlsx")

    def handle(self, *args, community=None, year=None, output: str, **options):
        path = Path(output)
        if path.suffix.lower() not in (".docx", ".xlsx"):
            raise CommandError(_("The output file must end with .docx or .xlsx."))
        today = timezone.localdate()
        year = year or today.year
        if not 2000 <= year <= today.year:
            raise CommandError(_("Choose a year from 2000 to %(year)d.") % {"year": today.year})
        target = command_community(community)
        period = Period(dt.date(year, 1, 1), min(dt.date(year, 12, 31), today))
        result = figures(system_user(), Place("community", target.pk), period)
        content = (
            report.document(result) if path.suffix.lower() == ".docx" else report.workbook(result)
        )
        path.write_bytes(content)
        self.stdout.write(_("Wrote %(path)s") % {"path": path})

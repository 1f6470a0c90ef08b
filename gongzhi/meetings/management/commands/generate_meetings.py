"""Create every active series' meetings for the coming weeks. Idempotent: run it daily."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gongzhi.meetings.models import Series
from gongzhi.meetings.services import GENERATE_WEEKS, meetings_generate


class Command(BaseCommand):
    help = "Create upcoming meetings of every active series, N weeks ahead (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=GENERATE_WEEKS)

    def handle(self, *args, weeks: int, **options):
        if not 1 <= weeks <= 104:
            self.stderr.write(_("--weeks must be between 1 and 104"))
            raise SystemExit(2)
        created = conflicts = 0
        for series in Series.objects.filter(active=True).exclude(rule="ad_hoc"):
            result = meetings_generate(series=series, weeks=weeks)
            created += len(result.created)
            conflicts += len(result.conflicts)
            for day, other in result.conflicts:
                self.stderr.write(
                    _("%(series)s on %(day)s: the venue is taken by %(other)s")
                    % {"series": series.name, "day": day, "other": other}
                )
        self.stdout.write(
            _("%(created)d meetings created, %(conflicts)d dates skipped for a taken venue")
            % {"created": created, "conflicts": conflicts}
        )

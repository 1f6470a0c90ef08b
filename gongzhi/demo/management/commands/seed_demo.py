"""`gongzhi seed_demo`: migrate, load the X-community demo once, print the logins."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gongzhi.core.overview import format_overview, overview
from gongzhi.demo.seed import DEMO_COMMUNITY, SUBDISTRICT, seed_demo, write_logins
from gongzhi.places.models import Community


class Command(BaseCommand):
    help = "Migrate the database and load the X-community demo data (once; reruns add nothing)."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        started = time.monotonic()
        if seed_demo(stdout=self.stdout):
            self.stdout.write(
                _("Demo data loaded in %(seconds).1f s.") % {"seconds": time.monotonic() - started}
            )
        else:
            self.stdout.write(_("Demo data already loaded; nothing added."))
        community = Community.objects.get(subdistrict__name=SUBDISTRICT, name=DEMO_COMMUNITY)
        self.stdout.write(format_overview(overview(community=community)))
        write_logins(self.stdout)

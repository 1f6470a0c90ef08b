"""`gongzhi overview [--community NAME] [--json]`: headline figures of one community."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.core.overview import format_overview, overview
from gongzhi.demo.seed import DEMO_COMMUNITY
from gongzhi.places.models import Community


def resolve_community(name: str | None) -> Community:
    """The named community; without a name the only one, or X社区 when there are several."""
    if name:
        matches = list(Community.objects.filter(name=name)[:2])
        if not matches:
            raise CommandError(_("No community is called %(name)s.") % {"name": name})
        if len(matches) > 1:
            raise CommandError(
                _("Several communities are called %(name)s; rename one to tell them apart.")
                % {"name": name}
            )
        return matches[0]
    communities = list(Community.objects.all()[:2])
    if not communities:
        raise CommandError(_("There is no community yet. Run `gongzhi seed_demo` for the demo."))
    if len(communities) == 1:
        return communities[0]
    demo = Community.objects.filter(name=DEMO_COMMUNITY).first()
    if demo is None:
        raise CommandError(_("There are several communities; choose one with --community."))
    return demo


class Command(BaseCommand):
    help = "Print the headline figures of a community (compounds, households, partners …)."

    def add_arguments(self, parser):
        parser.add_argument("--community", help="community name (default: the only one, or X社区)")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="print one JSON object"
        )

    def handle(self, *args, community=None, as_json=False, **options):
        data = overview(community=resolve_community(community))
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(format_overview(data))

"""``gongzhi install_rules [--community NAME]``: the paper's default responsibility rules."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.matters.routing import install_default_rules
from gongzhi.places.models import Community


class Command(BaseCommand):
    help = "Install the default responsibility rules (责任清单) for communities that lack them."

    def add_arguments(self, parser):
        parser.add_argument("--community", help="only the community with this name")

    def handle(self, *args, community=None, **options):
        communities = Community.objects.select_related("subdistrict").order_by("pk")
        if community:
            communities = communities.filter(name=community)
            if not communities.exists():
                raise CommandError(_("No community named %(name)s.") % {"name": community})
        for item in communities:
            created = install_default_rules(item)
            self.stdout.write(
                _("%(community)s: %(count)d rules created") % {"community": item, "count": created}
            )

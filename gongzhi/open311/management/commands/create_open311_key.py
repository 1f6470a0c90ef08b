"""``gongzhi create_open311_key NAME --community NAME``: a key for an Open311 client.

The key is printed once, as the last line; only its digest is stored.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.open311 import selectors, services
from gongzhi.open311.formats import Open311Error


class Command(BaseCommand):
    help = "Create an Open311 API key for a client of one community and print it once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The client, e.g. the name of the app")
        parser.add_argument(
            "--community", required=True, help="The community's name (e.g. X社区) or id"
        )

    def handle(self, *args, name: str, community: str, **options):
        try:
            place = selectors.jurisdictions(community).get() if community.strip() else None
            if place is None:
                raise CommandError(_("Give the community with --community"))
            key, raw = services.open311_key_create(actor=None, community=place, name=name)
        except Open311Error as exc:
            raise CommandError(exc.description) from None
        self.stderr.write(
            _("Key for %(name)s of %(community)s. Store it now; it will not be shown again.")
            % {"name": key.name, "community": place.name}
        )
        self.stdout.write(raw)

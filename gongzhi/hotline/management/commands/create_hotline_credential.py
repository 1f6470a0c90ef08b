"""``gongzhi create_hotline_credential NAME [--community NAME] [--hotline CODE]``: a key for a
hotline gateway. The key is printed once, as the last line; only its digest is stored."""

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.excel import system_user
from gongzhi.hotline.services import HotlineError, credential_create
from gongzhi.places.community_io import command_community


class Command(BaseCommand):
    help = "Create a 12345 gateway credential for a community; prints the key as the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="what the gateway is, e.g. 区12345平台")
        parser.add_argument("--community", help="community name (needed if there are several)")
        parser.add_argument("--hotline", default="12345", help="the hotline's code (12345)")

    def handle(self, *args, name: str, community: str | None, hotline: str, **options):
        try:
            credential, raw = credential_create(
                actor=system_user(),
                community=command_community(community),
                name=name,
                hotline=hotline,
            )
        except HotlineError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{credential.name} · {credential.community.name}")
        self.stdout.write(raw)

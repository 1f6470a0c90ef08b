"""``gongzhi create_api_token USERNAME --name NAME``: issue a bearer token for an integration.

The token is printed once; only its digest is stored, so it cannot be shown again.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Issue an API token for a user and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", required=True, help="What the token is for, e.g. the integration's name"
        )

    def handle(self, *args, username: str, name: str, **options):
        name = name.strip()
        if not name:
            raise CommandError(_("Give the token a name with --name"))
        if len(name) > ApiToken._meta.get_field("name").max_length:
            raise CommandError(_("The token name is too long"))
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named %(username)s") % {"username": username})
        if not user.is_active:
            raise CommandError(_("User %(username)s is not active") % {"username": username})
        _token, raw = ApiToken.issue(user=user, name=name)
        self.stderr.write(_("Store this token now; it will not be shown again."))
        self.stdout.write(raw)

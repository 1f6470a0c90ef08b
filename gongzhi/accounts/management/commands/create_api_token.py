"""``gongzhi create_api_token USERNAME --name NAME [--days N]``: issue a bearer token for an
integration, valid for N days (default ``GONGZHI_TOKEN_DAYS``).

The token is printed once; only its digest is stored, so it cannot be shown again.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.services import AccountError, api_token_issue


class Command(BaseCommand):
    help = "Issue an API token for a user and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", required=True, help="What the token is for, e.g. the integration's name"
        )
        parser.add_argument(
            "--days", type=int, default=None, help="Days the token is valid (GONGZHI_TOKEN_DAYS)"
        )

    def handle(self, *args, username: str, name: str, days: int | None, **options):
        if not name.strip():
            raise CommandError(_("Give the token a name with --name"))
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named %(username)s") % {"username": username})
        if not user.is_active:
            raise CommandError(_("User %(username)s is not active") % {"username": username})
        try:
            token, raw = api_token_issue(user=user, name=name, days=days)
        except AccountError as error:
            raise CommandError(error.message) from None
        self.stderr.write(_("Store this token now; it will not be shown again."))
        self.stderr.write(
            _("It works until %(day)s.")
            % {"day": timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")}
        )
        self.stdout.write(raw)

"""``gongzhi reset_2fa USERNAME``: remove a user's second factor (a lost phone); they set it up
again at the next login. Recorded in the account's history."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.accounts.secondfactor import second_factor_reset


class Command(BaseCommand):
    help = "Reset a user's second factor (authenticator and recovery codes)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named %(username)s") % {"username": username})
        second_factor_reset(actor=None, user=user)
        self.stdout.write(
            _("The second factor of %(username)s was reset.") % {"username": username}
        )

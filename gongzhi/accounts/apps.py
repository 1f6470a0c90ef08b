from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gongzhi.accounts"
    label = "accounts"
    verbose_name = _("accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from gongzhi.accounts.middleware import session_started

        user_logged_in.connect(session_started, dispatch_uid="gongzhi.accounts.session_started")

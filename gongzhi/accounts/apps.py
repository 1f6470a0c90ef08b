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
        # Notifications (below accounts) reach a user at the account's or linked record's number.
        from gongzhi.accounts.selectors import account_phones
        from gongzhi.notifications.selectors import PHONE_SOURCES

        if account_phones not in PHONE_SOURCES:
            PHONE_SOURCES.append(account_phones)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "gongzhi.audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        # Every list page's ``?format=xlsx`` export is recorded: the list page toolkit sits
        # below this app (the audit page is one of its lists) and calls what is appended here.
        from gongzhi.audit.services import record_export
        from gongzhi.listing.pages import EXPORT_RECORDERS

        if record_export not in EXPORT_RECORDERS:
            EXPORT_RECORDERS.append(record_export)

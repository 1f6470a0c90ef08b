from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MattersConfig(AppConfig):
    name = "gongzhi.matters"
    label = "matters"
    verbose_name = _("matters")

    def ready(self) -> None:
        # The documented extension point: an overview section.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.matters.overview import matters_section

        if matters_section not in SECTIONS:
            SECTIONS.append(matters_section)
        # The open-matter load the pickers show beside people, teams and accounts.
        from gongzhi.matters.selectors import open_load
        from gongzhi.pickers.selectors import LOAD

        if open_load not in LOAD:
            LOAD.append(open_load)

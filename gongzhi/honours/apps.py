from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HonoursConfig(AppConfig):
    name = "gongzhi.honours"
    label = "honours"
    verbose_name = _("honours")

    def ready(self) -> None:
        # The documented extension point: an overview section.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.honours.selectors import honours_section

        if honours_section not in SECTIONS:
            SECTIONS.append(honours_section)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "gongzhi.partners"
    label = "partners"
    verbose_name = _("partners")

    def ready(self) -> None:
        # The documented extension point: an overview section.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.partners.overview import partners_section

        if partners_section not in SECTIONS:
            SECTIONS.append(partners_section)

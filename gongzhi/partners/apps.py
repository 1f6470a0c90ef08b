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
        # The pages of the apps below that show partners: a resident's partnerships, a
        # building's partners.
        from gongzhi.partners.views import building_partners, resident_partnerships
        from gongzhi.people.views import RESIDENT_SECTIONS
        from gongzhi.places.views import BUILDING_SECTIONS

        if resident_partnerships not in RESIDENT_SECTIONS:
            RESIDENT_SECTIONS.append(resident_partnerships)
        if building_partners not in BUILDING_SECTIONS:
            BUILDING_SECTIONS.append(building_partners)

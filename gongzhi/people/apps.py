from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "gongzhi.people"
    label = "people"
    verbose_name = _("people")

    def ready(self) -> None:
        # The documented extension point: an overview section.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.people.overview import places_section

        if places_section not in SECTIONS:
            SECTIONS.append(places_section)
        # The place pages show households: lent to places, which sits below people.
        from gongzhi.people.views import building_households, unit_households
        from gongzhi.places.views import BUILDING_SECTIONS, UNIT_SECTIONS

        if building_households not in BUILDING_SECTIONS:
            BUILDING_SECTIONS.append(building_households)
        if unit_households not in UNIT_SECTIONS:
            UNIT_SECTIONS.append(unit_households)

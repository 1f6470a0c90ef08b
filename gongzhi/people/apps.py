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

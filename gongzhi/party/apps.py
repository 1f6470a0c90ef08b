from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyConfig(AppConfig):
    name = "gongzhi.party"
    label = "party"
    verbose_name = _("party building")

    def ready(self) -> None:
        # The overview's documented extension point: append a section to SECTIONS.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.party.selectors import party_section

        if party_section not in SECTIONS:
            SECTIONS.append(party_section)

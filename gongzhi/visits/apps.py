from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "gongzhi.visits"
    label = "visits"
    verbose_name = _("visits and care")

    def ready(self) -> None:
        # The documented extension points: a sweep step and two overview sections.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.matters.sweep import STEPS
        from gongzhi.visits.overview import care_section, visits_section
        from gongzhi.visits.sweep import escalate_missed_care

        if escalate_missed_care not in STEPS:
            STEPS.append(escalate_missed_care)
        for section in (visits_section, care_section):
            if section not in SECTIONS:
                SECTIONS.append(section)
        # Its layers on the community map, when the maps app is on.
        if apps.is_installed("gongzhi.maps"):
            from gongzhi.maps.selectors import LAYER_SOURCES
            from gongzhi.visits.maplayers import visit_layers

            if visit_layers not in LAYER_SOURCES:
                LAYER_SOURCES.append(visit_layers)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "gongzhi.insights"
    label = "insights"
    verbose_name = _("insight")

    def ready(self) -> None:
        # The documented extension point of the overview: one section with the index.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.insights.overview import index_section

        if index_section not in SECTIONS:
            SECTIONS.append(index_section)
        # The stored dashboard figures read every other rollup row: the last step (the
        # network app, before this one in INSTALLED_APPS, has appended its step already).
        from gongzhi.insights.rollup import STEPS
        from gongzhi.insights.snapshot import roll_figures

        if roll_figures not in STEPS:
            STEPS.append(roll_figures)

from django.apps import AppConfig, apps
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
        from gongzhi.insights.rollup import STEPS
        from gongzhi.insights.snapshot import roll_figures

        # The network's monthly metrics are a step of ``gongzhi rollup`` too. Added from here,
        # not from the network app: insights reads the network, never the reverse.
        if apps.is_installed("gongzhi.network"):
            from gongzhi.network.services import snapshot_step

            if snapshot_step not in STEPS:
                STEPS.append(snapshot_step)
        # The stored dashboard figures read every other rollup row: the last step.
        if roll_figures not in STEPS:
            STEPS.append(roll_figures)
        # The stored diagnostics read the rollup rows too: after the stored figures.
        from gongzhi.insights.diagnostics_store import roll_diagnostics

        if roll_diagnostics not in STEPS:
            STEPS.append(roll_diagnostics)

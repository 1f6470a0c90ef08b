from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "gongzhi.mediation"
    label = "mediation"
    verbose_name = _("mediation")

    def ready(self) -> None:
        # The documented extension points: a sweep step, an overview section, a picker filter.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.matters.sweep import STEPS
        from gongzhi.mediation.overview import mediation_section
        from gongzhi.mediation.reminders import remind_follow_ups
        from gongzhi.mediation.services import only_qualified_mediators
        from gongzhi.pickers.selectors import PARTNER_FILTERS

        if remind_follow_ups not in STEPS:
            STEPS.append(remind_follow_ups)
        if mediation_section not in SECTIONS:
            SECTIONS.append(mediation_section)
        # The mediator picker offers only partners who may mediate.
        PARTNER_FILTERS["mediators"] = only_qualified_mediators

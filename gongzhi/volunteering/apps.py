from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteeringConfig(AppConfig):
    name = "gongzhi.volunteering"
    label = "volunteering"
    verbose_name = _("volunteer service")

    def ready(self) -> None:
        # The two documented extension points: a sweep step and an overview section.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.matters.sweep import STEPS
        from gongzhi.volunteering.selectors import service_hours_section
        from gongzhi.volunteering.sweep import issue_and_award

        if issue_and_award not in STEPS:
            STEPS.append(issue_and_award)
        if service_hours_section not in SECTIONS:
            SECTIONS.append(service_hours_section)

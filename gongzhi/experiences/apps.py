from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperiencesConfig(AppConfig):
    name = "gongzhi.experiences"
    label = "experiences"
    verbose_name = _("experience library")

    def ready(self) -> None:
        from gongzhi.core.overview import SECTIONS
        from gongzhi.experiences.overview import experiences_section

        if experiences_section not in SECTIONS:
            SECTIONS.append(experiences_section)

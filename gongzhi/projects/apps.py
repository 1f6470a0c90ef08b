from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "gongzhi.projects"
    label = "projects"
    verbose_name = _("micro-projects")

    def ready(self) -> None:
        from gongzhi.core.overview import SECTIONS
        from gongzhi.projects.overview import projects_section

        if projects_section not in SECTIONS:
            SECTIONS.append(projects_section)

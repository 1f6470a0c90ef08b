from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "gongzhi.points"
    label = "points"
    verbose_name = _("points")

    def ready(self) -> None:
        # The two documented extension points: a sweep step and an overview section.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.matters.sweep import STEPS
        from gongzhi.points.selectors import points_section
        from gongzhi.points.sweep import release_and_expire

        if release_and_expire not in STEPS:
            STEPS.append(release_and_expire)
        if points_section not in SECTIONS:
            SECTIONS.append(points_section)

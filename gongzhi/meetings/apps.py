from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "gongzhi.meetings"
    label = "meetings"
    verbose_name = _("meetings")

    def ready(self) -> None:
        # The overview's documented extension point: append a section to SECTIONS.
        from gongzhi.core.overview import SECTIONS
        from gongzhi.meetings.selectors import meetings_section

        if meetings_section not in SECTIONS:
            SECTIONS.append(meetings_section)

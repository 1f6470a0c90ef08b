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

        # A matter sent to deliberation proposes an agenda item (matters never import meetings).
        from gongzhi.matters.signals import matter_deliberating
        from gongzhi.meetings.receivers import propose_agenda_item

        matter_deliberating.connect(propose_agenda_item, dispatch_uid="meetings.propose_agenda")

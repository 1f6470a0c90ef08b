"""What meetings does when matters announce something (``gongzhi.matters.signals``); connected
in ``MeetingsConfig.ready``. Meetings depends on matters, never the reverse."""

from gongzhi.meetings.services import agenda_propose_for_matter


def propose_agenda_item(sender, *, actor, matter, now=None, **kwargs) -> None:
    """A matter sent to deliberation joins the agenda of the next meeting of its scope (or the
    queue), in the deliberation's own transaction: a refusal here rolls it back."""
    agenda_propose_for_matter(actor=actor, matter=matter, now=now)

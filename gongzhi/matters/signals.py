"""Signals other apps listen to, so that matters never imports them (meetings depends on
matters, never the reverse).

``matter_deliberating`` is sent inside the ``matter_deliberate`` transaction, after the matter
moved to deliberating, with ``actor``, ``matter`` and ``now`` (``sender`` is ``Matter``). A
receiver's write joins that transaction; a receiver that raises rolls the whole transition
back. Meetings connects ``meetings.receivers.propose_agenda_item`` in its ``ready()``.
"""

from django.dispatch import Signal

matter_deliberating = Signal()

"""The agenda: items proposed (by people and by matters sent to deliberation), accepted, edited and ordered."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from gongzhi.core.services import acting_user, locked, now_or
from gongzhi.matters.models import Matter
from gongzhi.meetings import rules
from gongzhi.meetings.models import (
    AgendaItem,
    ItemSource,
    ItemStatus,
    Meeting,
)
from gongzhi.meetings.services._base import (
    MeetingError,
    _forbidden,
    _link,
    _manage,
    _not_closed,
    scheduled_meeting,
)
from gongzhi.notifications.services import notify_users

# ---- agenda -----------------------------------------------------------------------------------


def _contains_q(matter: Matter) -> Q:
    """Meetings whose scope holds the matter's place: the matter's building, its compound, or
    its community (a community meeting holds every compound and building)."""
    q = Q(community_id=matter.community_id, compound__isnull=True)
    if matter.compound_id:
        q |= Q(compound_id=matter.compound_id, building__isnull=True)
    if matter.building_id:
        q |= Q(building_id=matter.building_id)
    return q


def next_meeting_for(matter: Matter, *, now=None) -> Meeting | None:
    """The next planned meeting of the right scope: a meeting of the matter's building if one
    is planned, else of its compound, else of its community (earliest first at each level)."""
    upcoming = Meeting.objects.upcoming(now_or(now)).filter(_contains_q(matter))
    levels = []
    if matter.building_id:
        levels.append(Q(building_id=matter.building_id))
    if matter.compound_id:
        levels.append(Q(compound_id=matter.compound_id, building__isnull=True))
    levels.append(Q(compound__isnull=True))
    for level in levels:
        meeting = upcoming.filter(level).order_by("starts_at", "id").first()
        if meeting is not None:
            return meeting
    return None


def _next_position(meeting: Meeting) -> int:
    last = meeting.items.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


def _propose_matter(matter: Matter, *, actor, now=None) -> AgendaItem:
    meeting = next_meeting_for(matter, now=now)
    item = AgendaItem(
        source=ItemSource.MATTER,
        matter=matter,
        title=matter.text[:120],
        description=matter.text,
        proposed_by=acting_user(actor),
        community_id=matter.community_id,
        compound_id=matter.compound_id,
        building_id=matter.building_id,
    )
    if meeting is not None:
        item.meeting, item.status, item.position = (
            meeting,
            ItemStatus.SCHEDULED,
            _next_position(meeting),
        )
    item.save()
    return item


@transaction.atomic
def agenda_propose_for_matter(*, actor, matter: Matter, now=None) -> AgendaItem:
    """Called by ``matter_deliberate``: the matter joins the agenda of the next meeting of its
    scope, or waits in the queue until such a meeting is created or generated."""
    open_item = matter.agenda_items.filter(
        status__in=(ItemStatus.PROPOSED, ItemStatus.SCHEDULED)
    ).first()
    if open_item is not None:
        return open_item
    return _propose_matter(matter, actor=actor, now=now)


def _attach_queue(meeting: Meeting, *, now=None) -> list[AgendaItem]:
    """Queued matter items whose place lies in the new meeting's scope join its agenda, unless
    a narrower planned meeting (``next_meeting_for``) is a better home."""
    attached = []
    queue = AgendaItem.objects.filter(meeting__isnull=True, status=ItemStatus.PROPOSED).filter(
        community_id=meeting.community_id
    )
    if meeting.compound_id:
        queue = queue.filter(compound_id=meeting.compound_id)
    if meeting.building_id:
        queue = queue.filter(building_id=meeting.building_id)
    for item in queue.select_related("matter").order_by("created_at", "id"):
        if item.matter is not None and next_meeting_for(item.matter, now=now) != meeting:
            continue
        item.meeting, item.status = meeting, ItemStatus.SCHEDULED
        item.position = _next_position(meeting)
        item.save(update_fields=["meeting", "status", "position"])
        attached.append(item)
    return attached


@transaction.atomic
def agenda_propose(
    *, actor, meeting: Meeting, title: str, description: str = "", minutes: int = 15
) -> AgendaItem:
    """An item raised by staff (on the agenda at once) or by a resident or partner (a proposal
    staff accept)."""
    meeting = locked(meeting)
    if not rules.can_propose(actor, meeting):
        raise _forbidden()
    _not_closed(meeting)
    title = title.strip()
    if not title:
        raise MeetingError("title_required", _("Say what the item is about."))
    if not 1 <= minutes <= 240:
        raise MeetingError("bad_minutes", _("An item's time box is 1 to 240 minutes."))
    staff = rules.can_manage(actor, meeting)
    return AgendaItem.objects.create(
        meeting=meeting,
        source=ItemSource.STAFF if staff else ItemSource.RESIDENT,
        title=title[:120],
        description=description[:2000],
        proposed_by=actor,
        minutes=minutes,
        status=ItemStatus.SCHEDULED if staff else ItemStatus.PROPOSED,
        position=_next_position(meeting),
        community_id=meeting.community_id,
        compound_id=meeting.compound_id,
        building_id=meeting.building_id,
    )


def _item_for_manager(actor, item: AgendaItem) -> tuple[AgendaItem, Meeting]:
    meeting = _manage(actor, scheduled_meeting(item))
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    return item, meeting


@transaction.atomic
def agenda_accept(*, actor, item: AgendaItem) -> AgendaItem:
    item, meeting = _item_for_manager(actor, item)
    _not_closed(meeting)
    if item.status != ItemStatus.PROPOSED:
        raise MeetingError("bad_state", _("Only a proposal can be put on the agenda."))
    item.status = ItemStatus.SCHEDULED
    item.save(update_fields=["status"])
    _tell_proposer(item, meeting, _("Your proposal is on the agenda of %(meeting)s: %(title)s"))
    return item


def _tell_proposer(item: AgendaItem, meeting: Meeting, title: str) -> None:
    if item.proposed_by_id:
        notify_users(
            users=[item.proposed_by],
            kind="agenda_proposal",
            title=title % {"meeting": meeting.title, "title": item.title},
            link=_link(meeting),
        )


@transaction.atomic
def agenda_update(
    *,
    actor,
    item: AgendaItem,
    notes: str | None = None,
    options: str | None = None,
    minutes: int | None = None,
) -> AgendaItem:
    """Discussion notes, options and the time box, until the meeting is closed."""
    item, meeting = _item_for_manager(actor, item)
    _not_closed(meeting)
    fields = []
    if notes is not None:
        item.notes = notes[:5000]
        fields.append("notes")
    if options is not None:
        item.options = options[:2000]
        fields.append("options")
    if minutes is not None:
        if not 1 <= minutes <= 240:
            raise MeetingError("bad_minutes", _("An item's time box is 1 to 240 minutes."))
        item.minutes = minutes
        fields.append("minutes")
    item.save(update_fields=fields)
    return item


@transaction.atomic
def agenda_move(*, actor, item: AgendaItem, by: int) -> AgendaItem:
    """Move the item up (``by`` < 0) or down the agenda, renumbering 1…n."""
    item, meeting = _item_for_manager(actor, item)
    _not_closed(meeting)
    items = list(meeting.items.order_by("position", "id"))
    index = next(i for i, row in enumerate(items) if row.pk == item.pk)
    target = max(0, min(len(items) - 1, index + by))
    items.insert(target, items.pop(index))
    for position, row in enumerate(items, start=1):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])
    return next(row for row in items if row.pk == item.pk)

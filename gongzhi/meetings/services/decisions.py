"""Votes, decisions (by vote or consensus, corrected by a new row) and their action items; the matter loop through the matters services."""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.services import locked, now_or
from gongzhi.matters.models import Matter
from gongzhi.matters.models import Status as MatterStatus
from gongzhi.matters.services import matter_complete, matter_start
from gongzhi.meetings import rules
from gongzhi.meetings.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Decision,
    ItemStatus,
    Majority,
    Meeting,
    Method,
    Outcome,
    Participant,
    Vote,
    VoteChoice,
)
from gongzhi.meetings.services._base import (
    MeetingError,
    _forbidden,
    _in_session,
    _manage,
    _not_closed,
    scheduled_meeting,
)
from gongzhi.meetings.services.agenda import _item_for_manager, _tell_proposer
from gongzhi.partners.models import Organisation, Partner, Team

# ---- votes and decisions --------------------------------------------------------------------


def voters(meeting: Meeting):
    return meeting.participants.filter(is_voter=True)


def quorum_needed(meeting: Meeting, voters_total: int) -> int:
    """Voters who must be present: the share of all voters (rounded up) and at least
    ``quorum_count`` if set."""
    needed = math.ceil(meeting.quorum_share * voters_total - 1e-9)
    return max(needed, meeting.quorum_count or 0)


def majority_reached(majority: str, *, yes: int, no: int, abstain: int) -> bool:
    """Simple: more for than against (abstentions count for neither side). Two-thirds: for is
    at least two thirds of all votes cast, abstentions included (so an abstention works like a
    vote against). No votes at all never carries a motion."""
    if majority == Majority.TWO_THIRDS:
        cast = yes + no + abstain
        return cast > 0 and 3 * yes >= 2 * cast
    return yes > no


@transaction.atomic
def vote_cast(*, actor, item: AgendaItem, participant: Participant, choice: str, now=None) -> Vote:
    meeting = locked(scheduled_meeting(item))
    if not (rules.can_manage(actor, meeting) or rules.is_participant_self(actor, participant)):
        raise _forbidden()
    _in_session(meeting)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ItemStatus.SCHEDULED:
        raise MeetingError("item_decided", _("Voting on this item is over."))
    if participant.meeting_id != meeting.pk or not participant.is_voter:
        raise MeetingError(
            "not_a_voter", _("%(name)s may not vote in this meeting.") % {"name": participant.name}
        )
    if not participant.attended:
        raise MeetingError(
            "not_present", _("%(name)s is not marked present.") % {"name": participant.name}
        )
    if choice not in VoteChoice.values:
        raise MeetingError("bad_choice", _("Vote for, against or abstain."))
    if Vote.objects.filter(item=item, participant=participant).exists():
        raise MeetingError(
            "already_voted",
            _("%(name)s has already voted on this item.") % {"name": participant.name},
        )
    try:
        with transaction.atomic():
            return Vote.objects.create(
                item=item,
                participant=participant,
                choice=choice,
                recorded_by=actor,
                at=now_or(now),
            )
    except IntegrityError:
        raise MeetingError(
            "already_voted",
            _("%(name)s has already voted on this item.") % {"name": participant.name},
        ) from None


@dataclass(frozen=True)
class ActionSpec:
    title: str
    due_on: dt.date | None
    partner: Partner | None = None
    team: Team | None = None
    organisation: Organisation | None = None


def _check_action(spec: ActionSpec, meeting: Meeting) -> None:
    owners = [x for x in (spec.partner, spec.team, spec.organisation) if x is not None]
    if not spec.title.strip():
        raise MeetingError("task_required", _("Say what has to be done."))
    if len(owners) != 1:
        raise MeetingError("owner_required", _("Every action item needs exactly one owner."))
    if spec.due_on is None:
        raise MeetingError("deadline_required", _("Every action item needs a deadline."))
    if spec.due_on < timezone.localdate(meeting.starts_at):
        raise MeetingError("bad_deadline", _("The deadline is before the meeting."))


def _create_action(decision: Decision, spec: ActionSpec) -> ActionItem:
    assert spec.due_on is not None, "checked by _check_action"
    return ActionItem.objects.create(
        decision=decision,
        title=spec.title.strip()[:200],
        due_on=spec.due_on,
        partner=spec.partner,
        team=spec.team,
        organisation=spec.organisation,
    )


@transaction.atomic
def decision_record(
    *,
    actor,
    item: AgendaItem,
    method: str,
    text: str,
    actions: Sequence[ActionSpec] = (),
    now=None,
) -> Decision:
    """Decide an item by vote (counted from the recorded votes) or by consensus, with its action
    items. An adopted decision with action items on a matter's item starts the matter."""
    item, meeting = _item_for_manager(actor, item)
    _in_session(meeting)
    now = now_or(now)
    if item.status != ItemStatus.SCHEDULED:
        raise MeetingError("item_decided", _("This item is decided or not on the agenda."))
    text = text.strip()
    if not text:
        raise MeetingError("text_required", _("Write down what was decided."))
    if method not in Method.values:
        raise MeetingError("bad_method", _("Decide by vote or by consensus."))
    counts = {"votes_for": 0, "votes_against": 0, "votes_abstain": 0}
    total = voters(meeting).count()
    present = voters(meeting).filter(attended=True).count()
    if method == Method.VOTE:
        if present < quorum_needed(meeting, total) or total == 0:
            raise MeetingError(
                "no_quorum",
                _("No quorum: %(present)d of %(total)d voters present, %(needed)d needed.")
                % {"present": present, "total": total, "needed": quorum_needed(meeting, total)},
            )
        choices = list(item.votes.values_list("choice", flat=True))
        counts = {
            "votes_for": choices.count(VoteChoice.FOR),
            "votes_against": choices.count(VoteChoice.AGAINST),
            "votes_abstain": choices.count(VoteChoice.ABSTAIN),
        }
        if not choices:
            raise MeetingError("no_votes", _("Record the votes before deciding."))
        adopted = majority_reached(
            meeting.majority,
            yes=counts["votes_for"],
            no=counts["votes_against"],
            abstain=counts["votes_abstain"],
        )
    else:
        adopted = True
    if actions and not adopted:
        raise MeetingError("rejected_with_actions", _("A rejected motion has no action items."))
    for spec in actions:
        _check_action(spec, meeting)
    decision = Decision.objects.create(
        item=item,
        method=method,
        outcome=Outcome.ADOPTED if adopted else Outcome.REJECTED,
        text=text,
        majority=meeting.majority if method == Method.VOTE else "",
        voters_present=present,
        voters_total=total,
        decided_by=actor,
        decided_at=now,
        **counts,
    )
    for spec in actions:
        _create_action(decision, spec)
    item.status = ItemStatus.DECIDED
    item.save(update_fields=["status"])
    _tell_proposer(
        item,
        meeting,
        _("Your proposal was adopted in %(meeting)s: %(title)s")
        if adopted
        else _("Your proposal was rejected in %(meeting)s: %(title)s"),
    )
    if actions and item.matter_id:
        matter = Matter.objects.get(pk=item.matter_id)
        if matter.status == MatterStatus.DELIBERATING:
            matter_start(
                actor=actor,
                matter=matter,
                note=_("Decided in %(meeting)s: %(text)s")
                % {"meeting": meeting.title, "text": text[:200]},
                now=now,
            )
    return decision


@transaction.atomic
def decision_correct(*, actor, decision: Decision, text: str, reason: str, now=None) -> Decision:
    """A correction: a new decision that supersedes ``decision`` (which stays as it was). The
    counts and action items stay with the record of the vote; only the wording changes."""
    _manage(actor, scheduled_meeting(decision.item))
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if Decision.objects.filter(corrects=decision).exists():
        raise MeetingError("already_corrected", _("Correct the latest version of the decision."))
    text, reason = text.strip(), reason.strip()
    if not text or not reason:
        raise MeetingError("reason_required", _("Give the corrected text and the reason."))
    return Decision.objects.create(
        item_id=decision.item_id,
        method=decision.method,
        outcome=decision.outcome,
        text=text,
        majority=decision.majority,
        votes_for=decision.votes_for,
        votes_against=decision.votes_against,
        votes_abstain=decision.votes_abstain,
        voters_present=decision.voters_present,
        voters_total=decision.voters_total,
        corrects=decision,
        correction_reason=reason[:1000],
        decided_by=actor,
        decided_at=now_or(now),
    )


@transaction.atomic
def action_item_add(*, actor, decision: Decision, spec: ActionSpec) -> ActionItem:
    meeting = _manage(actor, scheduled_meeting(decision.item))
    _not_closed(meeting)
    if decision.outcome != Outcome.ADOPTED:
        raise MeetingError("rejected_with_actions", _("A rejected motion has no action items."))
    _check_action(spec, meeting)
    return _create_action(decision, spec)


@transaction.atomic
def action_item_complete(*, actor, action: ActionItem, note: str = "", now=None) -> ActionItem:
    """Mark an action item done. When the last action item of a matter's decisions is done,
    the matter is completed (and ``matter_complete`` tells its reporters)."""
    action = (
        ActionItem.objects.select_for_update().select_related("decision__item").get(pk=action.pk)
    )
    item = action.decision.item
    _manage(actor, scheduled_meeting(item))
    if action.status == ActionStatus.DONE:
        raise MeetingError("already_done", _("This action item is already done."))
    now = now_or(now)
    action.status, action.done_at, action.done_by = ActionStatus.DONE, now, actor
    action.done_note = note[:1000]
    action.save(update_fields=["status", "done_at", "done_by", "done_note"])
    if item.matter_id:
        matter = Matter.objects.get(pk=item.matter_id)
        open_left = ActionItem.objects.filter(
            decision__item__matter=matter, status=ActionStatus.OPEN
        ).exists()
        if not open_left and matter.status == MatterStatus.IN_PROGRESS:
            matter_complete(
                actor=actor,
                matter=matter,
                note=_("All action items of the meeting's decision are done."),
                now=now,
            )
    return action

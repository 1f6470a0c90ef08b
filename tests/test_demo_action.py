"""The demo's year of deliberation meetings and mediation cases (``gongzhi/demo/seed_action.py``).

Seeding the whole demo takes several seconds, so the checks on the seeded data
(``check_demo_action``) run inside the single seeding test of ``tests/test_demo.py``.
"""

import io
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Q

from gongzhi.demo.seed_action import seed_action
from gongzhi.matters.models import Matter, MatterEvent
from gongzhi.mediation.models import CaseStatus, MediationCase
from gongzhi.meetings.models import (
    ActionItem,
    AgendaItem,
    Decision,
    ItemSource,
    Meeting,
    MeetingStatus,
    Method,
    Outcome,
    Participant,
    Series,
    Venue,
    Vote,
)
from gongzhi.meetings.services import majority_reached, quorum_needed
from gongzhi.places.models import Community

COUNTED = (Venue, Series, Meeting, Participant, AgendaItem, Decision, Vote, ActionItem)


def _overview(community_name: str) -> dict:
    out = io.StringIO()
    call_command("overview", "--json", "--community", community_name, stdout=out)
    return json.loads(out.getvalue())


def _check_decisions(community: Community) -> None:
    """Every decision is what ``decision_record`` would have written, inserted once."""
    decisions = Decision.objects.filter(item__community=community).select_related("item__meeting")
    assert decisions.exists()
    # One decision per decided item, none corrected (corrections are new rows).
    per_item = decisions.values("item").annotate(n=Count("id")).filter(n__gt=1)
    assert not per_item.exists()
    for decision in decisions:
        meeting = decision.item.meeting
        assert meeting.status == MeetingStatus.CLOSED
        assert meeting.starts_at <= decision.decided_at <= meeting.closed_at
        votes = list(Vote.objects.filter(item=decision.item).values_list("choice", flat=True))
        voters = meeting.participants.filter(is_voter=True)
        assert decision.voters_total == voters.count()
        assert decision.voters_present == voters.filter(attended=True).count()
        if decision.method == Method.VOTE:
            assert decision.votes_for == votes.count("for")
            assert decision.votes_against == votes.count("against")
            assert decision.votes_abstain == votes.count("abstain")
            assert decision.voters_present >= quorum_needed(meeting, decision.voters_total)
            adopted = majority_reached(
                decision.majority,
                yes=decision.votes_for,
                no=decision.votes_against,
                abstain=decision.votes_abstain,
            )
            assert (decision.outcome == Outcome.ADOPTED) == adopted
        else:
            assert votes == [] and decision.votes_cast == 0
    # Only voters who were present voted; rejected motions have no action items.
    assert (
        not Vote.objects.filter(item__community=community)
        .filter(Q(participant__is_voter=False) | Q(participant__attended=False))
        .exists()
    )
    assert not ActionItem.objects.filter(
        decision__item__community=community, decision__outcome=Outcome.REJECTED
    ).exists()
    # The database refuses to change a decision (the trigger of migration 0002).
    first = decisions.first()
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE meetings_decision SET text = %s WHERE id = %s", ["changed", first.pk]
            )
    assert Decision.objects.get(pk=first.pk).text == first.text


def _check_matter_items(community: Community) -> None:
    """Matter items were decided between the matter's deliberation and its start, and their
    action items were done when the matter was completed."""
    items = AgendaItem.objects.filter(
        community=community, source=ItemSource.MATTER, decisions__isnull=False
    ).select_related("matter")
    assert items.count() >= 10
    for item in items:
        decision = item.decisions.get()
        events = {}
        for action, at in item.matter.events.order_by("at", "id").values_list("action", "at"):
            events.setdefault(action, at)
        assert events["deliberate"] < decision.decided_at < events["start"]
        for action in decision.actions.all():
            assert action.due_on >= item.meeting.starts_at.date()
            if action.status == "done":
                assert events["start"] < action.done_at <= events["complete"]
        if item.matter.status in ("done", "closed"):
            assert not decision.actions.filter(status="open").exists()


def _check_stories(community: Community) -> None:
    wall = Matter.objects.get(community=community, text__contains="外墙瓷砖大面积脱落")
    assert wall.tier == "hard" and wall.status == "closed"
    assert wall.owners.filter(is_whistle=True, organisation__name="汉阳区房管局").exists()
    assert MatterEvent.objects.filter(matter=wall, action="whistle_response").exists()
    item = wall.agenda_items.get()
    meeting = item.meeting
    guests = set(meeting.participants.values_list("outsider_role", flat=True))
    assert {"deputy", "subdistrict"} <= guests
    bodies = set(meeting.participants.values_list("organisation__kind", flat=True))
    assert {"department", "party_branch", "property_company", "owners_committee"} <= bodies
    assert meeting.participants.filter(kind="resident", is_voter=True).exists()
    decision = item.decisions.get()
    assert decision.outcome == Outcome.ADOPTED and decision.method == Method.VOTE
    owners = {str(a.owner) for a in decision.actions.all()}
    assert "汉阳区房管局" in owners and len(owners) >= 4
    assert not decision.actions.filter(status="open").exists()

    revenue = MediationCase.objects.get(
        community=community, kind="owners_property", description__contains="公共收益"
    )
    parties = {p.label for p in revenue.parties.all()}
    assert any("业主委员会" in p for p in parties) and any("物业" in p for p in parties)
    roles = set(revenue.mediators.values_list("roles__code", flat=True))
    assert "senior_party_member" in roles
    assert revenue.outcome == "agreed" and revenue.status == CaseStatus.CLOSED
    assert revenue.sessions.filter(notes__contains="网格员").exists()
    assert revenue.follow_ups.filter(held=True).count() == 2


def check_demo_action(community_name: str = "X社区") -> None:
    """Assertions on the seeded demo; called from the seeding test in tests/test_demo.py."""
    community = Community.objects.get(name=community_name)
    figures = _overview(community_name)
    assert figures["venues"] == 2
    assert set(Series.objects.filter(community=community).values_list("rule", flat=True)) == {
        "weekly",
        "fours",
    }
    assert figures["meetings"]["held"] >= 80
    assert figures["meetings"]["planned"] > 0
    assert figures["opinions"] >= 100
    decisions = figures["decisions"]
    assert decisions["items_decided"] >= 100
    assert decisions["loops_closed"] > 0
    done = decisions["action_items_done"]
    assert 0.8 * done <= decisions["action_items_done_on_time"] < done
    assert ActionItem.objects.filter(
        decision__item__community=community, decision__item__matter__isnull=False
    ).exists()
    cases = figures["mediation_cases"]
    assert cases["total"] >= 20
    assert cases["by_status"]["closed"] > 0 and cases["by_status"]["referred"] > 0
    assert 0.5 <= cases["success_rate"] < 1
    assert cases["held_at_follow_up"]["followed_up"] > 0

    # No venue hosts two meetings at once.
    for meeting in Meeting.objects.filter(community=community).exclude(status="cancelled"):
        assert not (
            Meeting.objects.filter(
                venue=meeting.venue,
                starts_at__lt=meeting.ends_at,
                ends_at__gt=meeting.starts_at,
            )
            .exclude(pk=meeting.pk)
            .exclude(status="cancelled")
            .exists()
        )
    _check_decisions(community)
    _check_matter_items(community)
    _check_stories(community)

    # Seeding again changes nothing.
    before = {model: model.objects.count() for model in (*COUNTED, MediationCase, Matter)}
    assert seed_action(community) == 0
    assert {model: model.objects.count() for model in before} == before


@pytest.mark.django_db
def test_seed_action_needs_the_demo_community(world):
    """A community without the demo's compounds gets nothing (and no error)."""
    community = Community.objects.get(name="Y社区")
    assert seed_action(community) == 0
    assert not Venue.objects.filter(community=community).exists()

"""The checks on the seeded demo: tests/test_demo.py runs them on a demo seeded once, and
tests/test_generate_district.py reuses the replay of the matters' history."""

import datetime as dt
import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from gongzhi.demo.seed_action import seed_action
from gongzhi.matters.models import (
    OPEN_STATUSES,
    SOURCES,
    TARGETS,
    Category,
    Matter,
    MatterEvent,
    MatterReporter,
    Status,
)
from gongzhi.matters.rates import three_rates
from gongzhi.matters.selectors import monthly_trend
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
    """Assertions on the seeded demo; run by tests/test_demo.py on the demo it seeds once."""
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


STILL = {"route", "classify", "absorb", "overdue", "escalate", "whistle_response", "photo"}


def documented_steps() -> set[tuple[str, str, str]]:
    """(from, to, action) triples of the state machine in ``gongzhi.matters.models``."""
    sources = {
        **SOURCES,
        "submit": ("",),
        "reopen": SOURCES["feedback"],
        "escalate": SOURCES["feedback"],
    }
    return {
        (source, target, action)
        for action, targets in TARGETS.items()
        for source in sources[action]
        for target in targets
    }


def replay_errors(events, steps) -> list[str]:
    """Problems found replaying ``(matter_id, from, to, action)`` rows in time order."""
    status: dict[int, str] = {}
    errors = []
    for matter_id, from_status, to_status, action in events:
        current = status.get(matter_id, "")
        # Events that keep the status: written with no "from" (the sweep) or from == to.
        if action in STILL and from_status in ("", to_status):
            if to_status != current:
                errors.append(f"#{matter_id} {action}: says {to_status}, is {current}")
            continue
        if from_status != current:
            errors.append(f"#{matter_id} {action}: from {from_status}, but is {current}")
        if (from_status, to_status, action) not in steps:
            errors.append(f"#{matter_id}: {from_status} -{action}-> {to_status} not allowed")
        status[matter_id] = to_status
    return errors


def check_demo_matters(community_name: str = "X社区") -> None:
    """Assertions on the seeded demo; run by tests/test_demo.py on the demo it seeds once."""
    matters = Matter.objects.filter(community__name=community_name)
    total = matters.count()
    assert 3000 <= total <= 4000

    def share(field):
        return {k: n / total for k, n in Counter(matters.values_list(field, flat=True)).items()}

    categories = share("category")
    assert set(categories) == set(Category.values)
    top3 = sorted(categories, key=categories.get, reverse=True)[:3]
    assert set(top3) == {"facilities", "sanitation", "parking"}
    tiers = share("tier")
    assert 0.55 <= tiers["small"] <= 0.65
    assert 0.25 <= tiers["big"] <= 0.35
    assert 0.07 <= tiers["hard"] <= 0.13
    channels = share("channel")
    assert channels["grid_visit"] > channels["online_wechat"] > channels["meeting"]
    assert channels["building_visit"] > channels["online_phone"]
    # Greening peaks in spring.
    spring = matters.filter(category="greening", created_at__month__in=[3, 4, 5]).count()
    winter = matters.filter(category="greening", created_at__month__in=[12, 1, 2]).count()
    assert spring > 2 * winter

    # Every status a year produces: mostly closed, a few of every other ending, some still open.
    statuses = share("status")
    assert statuses["closed"] > 0.8
    for status in ("merged", "referred", "rejected", "withdrawn"):
        assert 0 < statuses[status] < 0.05
    assert matters.filter(status__in=OPEN_STATUSES).count() > 20
    assert matters.filter(overdue=True).exists()
    # A living demo: its year ends on the day it is seeded, so the last week and the current
    # month have matters whatever the day (core/demodates.py).
    today = timezone.localdate()
    week_ago = timezone.now() - dt.timedelta(days=7)
    assert matters.filter(created_at__gte=week_ago).count() >= 20
    assert matters.filter(created_at__date__lt=today - dt.timedelta(days=366)).count() == 0
    monthly = monthly_trend(matters, months=[today.replace(day=1)])
    # Seeded up to midnight: on the 1st the current month has just begun.
    assert monthly["submitted"][0] > 0 or today.day == 1
    rated = Counter(matters.exclude(satisfaction="").values_list("satisfaction", flat=True))
    assert rated["satisfied"] / sum(rated.values()) > 0.75
    assert MatterEvent.objects.filter(matter__in=matters, action="reopen").exists()

    # Histories obey the state machine of docs/matters.md, event by event.
    events = MatterEvent.objects.filter(matter__community__name=community_name).order_by(
        "matter_id", "at", "id"
    )
    assert (
        replay_errors(
            events.values_list("matter_id", "from_status", "to_status", "action").iterator(),
            documented_steps(),
        )
        == []
    )
    # … and end where the matter is.
    last = {}
    for matter_id, to_status in events.values_list("matter_id", "to_status"):
        last[matter_id] = to_status
    assert last == dict(matters.values_list("pk", "status"))

    # Reporters are real residents of the place (or anonymous WeChat users with a contact).
    named = matters.exclude(reporter=None)
    mismatched = [
        m.pk
        for m in named.select_related("reporter__household__unit__building")
        if m.reporter.household.unit.building.compound_id != m.compound_id
    ]
    assert mismatched == []
    anonymous = matters.filter(reporter=None)
    assert anonymous.exists() and all(m.reporter_contact for m in anonymous)
    assert not matters.annotate(n=Count("reporters")).filter(n=0).exists()
    assert MatterReporter.objects.filter(matter__in=matters).exclude(from_matter=None).exists()
    assert not matters.filter(status=Status.MERGED, merged_into=None).exists()
    # Assigned matters have an owner from the routing candidates of their community.
    assert not matters.filter(assigned_at__isnull=False, owners__isnull=True).exists()

    # The overview's matters section agrees with three_rates over the same matters.
    out = io.StringIO()
    call_command("overview", "--json", "--community", community_name, stdout=out)
    section = json.loads(out.getvalue())["matters"]
    assert section["total"] == total
    assert sum(section["by_status"].values()) == total
    assert sum(section["by_tier"].values()) == total
    assert sum(section["by_channel"].values()) == total
    rates = three_rates(matters)
    assert section["rates"] == {
        k: rates[k] for k in ("response", "resolution", "satisfaction", "composite")
    }
    assert all(0 < value <= 1 for value in section["rates"].values())

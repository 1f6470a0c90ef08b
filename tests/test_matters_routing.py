"""Routing (责任清单): default rules, ranked candidates, route and auto-assignment."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gongzhi.matters import routing
from gongzhi.matters import services as s
from gongzhi.matters.models import MatterOwner, ResponsibilityRule, Status
from gongzhi.notifications.models import Notification
from gongzhi.partners.models import Organisation, PartnerKind, PartnerStatus, Role, Skill
from tests.factories import make_partner
from tests.factories_matters import make_matter


def owners_of(candidates):
    return [c.owner for c in candidates]


def load(count: int) -> str:
    return ngettext("%(count)d open matter", "%(count)d open matters", count) % {"count": count}


def give(partner, *, skills=(), roles=()):
    partner.skills.add(*Skill.objects.filter(name__in=skills))
    partner.roles.add(*Role.objects.filter(code__in=roles))


@pytest.fixture
def rules(world):
    routing.install_default_rules(world.a)
    return {r.tier: r for r in ResponsibilityRule.objects.filter(community=world.a)}


# ---- rules ----------------------------------------------------------------------------------


def test_default_rules_follow_the_paper_and_install_once(world):
    assert routing.install_default_rules(world.a) == 3
    assert routing.install_default_rules(world.a) == 0
    rules = {r.tier: r for r in ResponsibilityRule.objects.filter(community=world.a)}
    assert set(rules) == {"small", "big", "hard"}
    small, big, hard = rules["small"], rules["big"], rules["hard"]
    assert small.working_mode == "cooperate" and small.team_kinds == ["volunteer"]
    assert small.organisation_kinds == ["social_organisation"]
    assert small.partner_kinds == ["neighbour"]
    assert big.working_mode == "deliberate" and big.propose_meeting and big.match_skill
    assert set(big.roles.values_list("code", flat=True)) == {
        "building_party_leader",
        "party_central_household",
        "community_talent",
    }
    assert big.partner_kinds == ["construction"]
    assert hard.working_mode == "joint" and hard.whistle_response_hours == 72
    assert set(hard.roles.values_list("code", flat=True)) == {
        "dispatched_cadre",
        "registered_party_member",
        "outdoor_worker",
    }
    assert list(hard.whistle_organisations.all()) == [world.org_dept]
    assert not small.whistle_organisations.exists()


def test_reinstalling_keeps_staff_edits(world, rules):
    ResponsibilityRule.objects.filter(pk=rules["small"].pk).update(auto_assign=True)
    assert routing.install_default_rules(world.a) == 0
    rules["small"].refresh_from_db()
    assert rules["small"].auto_assign


def test_install_rules_command(world):
    out = io.StringIO()
    call_command("install_rules", "--community", "Y社区", stdout=out)
    assert ResponsibilityRule.objects.filter(community=world.b).count() == 3
    assert not ResponsibilityRule.objects.filter(community=world.a).exists()
    call_command("install_rules", stdout=out)
    assert ResponsibilityRule.objects.count() == 6
    with pytest.raises(CommandError):
        call_command("install_rules", "--community", "没有这个社区", stdout=out)
    assert ResponsibilityRule.objects.count() == 6


def test_category_rule_beats_tier_wide_rule(world, rules):
    disputes = ResponsibilityRule.objects.create(
        community=world.a, tier="small", category="disputes", working_mode="deliberate"
    )
    assert routing.rule_for(make_matter(building=world.y1, category="disputes")) == disputes
    assert routing.rule_for(make_matter(building=world.y1, category="care")) == rules["small"]
    # Community B has no rules of its own.
    assert routing.rule_for(make_matter(building=world.n1)) is None


# ---- candidates -----------------------------------------------------------------------------


def test_small_matter_candidates_same_building_first(world, rules):
    other_building = make_partner(
        name="赵敏", kind=PartnerKind.NEIGHBOUR, community=world.a, compound=world.yujia,
        building=world.y2,
    )  # fmt: skip
    other_compound = make_partner(
        name="周芳", kind=PartnerKind.NEIGHBOUR, community=world.a, compound=world.jinxiu,
        building=world.j1,
    )  # fmt: skip
    social = Organisation.objects.create(
        name="爱心社工站", kind="social_organisation", subdistrict=world.sub, community=world.a
    )
    matter = make_matter(building=world.y1, tier="small", category="care")

    found = routing.candidates(matter)

    assert owners_of(found) == [world.p_neighbour, other_building, world.team_a, social]
    assert other_compound not in owners_of(found)
    assert [c.kind for c in found] == ["partner", "partner", "team", "organisation"]
    assert found[0].reasons[0] == _("same building")
    assert found[1].reasons[0] == _("same compound")
    assert found[0].score > found[1].score > found[3].score


def test_big_matter_prefers_matching_skill_and_lists_roles(world, rules):
    give(world.p_neighbour, roles=["building_party_leader"])
    plain = make_partner(
        name="钱师傅", kind=PartnerKind.CONSTRUCTION, community=world.a, compound=world.yujia
    )
    give(world.p_construction, skills=["水电维修"])
    matter = make_matter(building=world.y1, tier="big", category="facilities")

    found = routing.candidates(matter)

    assert owners_of(found) == [world.p_neighbour, world.p_construction, plain]
    assert "楼栋党小组组长" in found[0].reasons
    assert _("matching skill: %(skill)s") % {"skill": "水电维修"} in found[1].reasons
    assert len(found[2].reasons) == len(found[1].reasons) - 1  # no skill reason
    # Community-level team partners are not named by the big-matter rule.
    assert world.p_team not in owners_of(found)


def test_lighter_load_ranks_first(world, rules):
    busy = world.p_construction
    idle = make_partner(
        name="钱师傅", kind=PartnerKind.CONSTRUCTION, community=world.a, compound=world.yujia
    )
    for _i in range(2):
        open_matter = make_matter(building=world.y2, tier="big", status=Status.IN_PROGRESS)
        MatterOwner.objects.create(
            matter=open_matter, partner=busy, assigned_at=open_matter.created_at
        )
    closed = make_matter(building=world.y2, tier="big", status=Status.CLOSED)
    MatterOwner.objects.create(matter=closed, partner=idle, assigned_at=closed.created_at)
    matter = make_matter(building=world.y1, tier="big", category="greening")

    found = routing.candidates(matter)

    assert owners_of(found) == [idle, busy]
    assert load(2) in found[1].reasons
    assert load(0) in found[0].reasons


def test_only_active_partners_of_the_community(world, rules):
    world.p_construction.status = PartnerStatus.PAUSED
    world.p_construction.save()
    make_partner(name="外社区", kind=PartnerKind.CONSTRUCTION, community=world.b,
                 compound=world.jiangnan)  # fmt: skip
    matter = make_matter(building=world.y1, tier="big")
    assert routing.candidates(matter) == []


def test_without_rules_the_tier_defaults_apply(world):
    matter = make_matter(building=world.y1, tier="small")
    assert owners_of(routing.candidates(matter)) == [world.p_neighbour, world.team_a]


def test_candidate_queries_do_not_grow_with_candidates(world, rules):
    matter = make_matter(building=world.y1, tier="big", category="facilities")
    give(world.p_construction, skills=["水电维修"], roles=["community_talent"])
    with CaptureQueriesContext(connection) as few:
        assert len(routing.candidates(matter, limit=50)) == 1
    for i in range(12):
        partner = make_partner(
            name=f"能人{i}", kind=PartnerKind.CONSTRUCTION, community=world.a,
            compound=world.yujia,
        )  # fmt: skip
        give(partner, skills=["水电维修", "园艺绿化"], roles=["community_talent"])
        other = make_matter(building=world.y2, tier="big", status=Status.ASSIGNED)
        MatterOwner.objects.create(matter=other, partner=partner, assigned_at=other.created_at)
    with CaptureQueriesContext(connection) as many:
        assert len(routing.candidates(matter, limit=50)) == 13
    assert len(many.captured_queries) == len(few.captured_queries)


def test_candidate_query_count_is_pinned(world, rules, django_assert_max_num_queries):
    matter = make_matter(building=world.y1, tier="small", category="care")
    with django_assert_max_num_queries(9):
        routing.candidates(matter)


# ---- route ----------------------------------------------------------------------------------


def test_route_sets_working_mode_and_records_the_meeting_proposal(world, rules):
    matter = make_matter(building=world.y1, tier="big")
    matter = s.matter_route(matter=matter, actor=world.users.staff_a)
    assert matter.working_mode == "deliberate" and matter.status == Status.RECEIVED
    event = matter.events.get(action="route")
    assert event.data["propose_meeting"] is True and event.data["rule"] == rules["big"].pk
    assert not matter.owners.exists()


def test_auto_assign_gives_the_matter_to_the_top_candidate(world, rules):
    ResponsibilityRule.objects.filter(pk=rules["small"].pk).update(auto_assign=True)
    matter = make_matter(building=world.y1, tier="small", reporter=world.res_a)

    # The resident who submitted may not assign; the rule set by staff does.
    matter = s.matter_route(matter=matter, actor=world.users.resident_a)

    assert matter.status == Status.ASSIGNED and matter.working_mode == "cooperate"
    assert [o.partner for o in matter.owners.filter(active=True)] == [world.p_neighbour]
    assert matter.events.get(action="assign").note == _("Assigned by the responsibility rule.")
    assert Notification.objects.filter(user=world.users.partner_a, kind="matter_assigned").exists()


def test_hard_matter_auto_assign_whistles_departments(world, rules):
    ResponsibilityRule.objects.filter(pk=rules["hard"].pk).update(auto_assign=True)
    give(world.p_team, roles=["dispatched_cadre"])
    matter = make_matter(building=world.y1, tier="hard", category="facilities")

    matter = s.matter_route(matter=matter, actor=world.users.staff_a)

    assert matter.status == Status.ASSIGNED and matter.working_mode == "joint"
    regular = matter.owners.get(is_whistle=False)
    whistle = matter.owners.get(is_whistle=True)
    assert regular.partner == world.p_team
    assert whistle.organisation == world.org_dept
    assert whistle.respond_by - whistle.assigned_at == dt.timedelta(hours=72)


def test_route_does_not_reassign_a_matter_with_owners(world, rules):
    ResponsibilityRule.objects.filter(pk=rules["small"].pk).update(auto_assign=True)
    matter = make_matter(building=world.y1, tier="small")
    s.matter_assign(actor=world.users.staff_a, matter=matter, owners=[world.team_a])
    matter = s.matter_route(matter=matter, actor=world.users.staff_a)
    assert [o.team for o in matter.owners.filter(active=True)] == [world.team_a]
    assert matter.bounce_count == 0 and matter.events.filter(action="assign").count() == 1


def test_route_leaves_closed_matters_alone(world, rules):
    matter = make_matter(building=world.y1, tier="big", status=Status.WITHDRAWN)
    s.matter_route(matter=matter, actor=world.users.staff_a)
    matter.refresh_from_db()
    assert matter.working_mode == "" and not matter.events.exists()


def test_a_matter_entered_after_the_fact_is_routed_at_its_own_moment(world, rules):
    """The route step (and an automatic assignment) happen at the submit's ``now``, so the
    history of a matter entered later, e.g. from paper, stays in order."""
    then = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    matter = s.matter_submit(
        actor=world.users.staff_a,
        text="楼道灯坏了",
        channel="walk_in",
        place=s.resolve_place(building=world.y1),
        now=then,
    )
    assert {event.action: event.at for event in matter.events.all()}["route"] == then

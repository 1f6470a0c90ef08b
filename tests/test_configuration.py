"""Settings services: past claims keep their earning rule, the change log is append-only, and
a rule change reaches the next routed matter."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from gongzhi.configuration import services as config
from gongzhi.configuration.models import ConfigChange
from gongzhi.configuration.services import ConfigError
from gongzhi.matters import routing, services
from gongzhi.matters.models import ResponsibilityRule
from gongzhi.volunteering.models import EarningRule
from tests.factories_matters import make_matter


def test_changing_an_earning_rule_that_claims_use_ends_it_and_starts_a_new_one(world, claim):
    old = claim.rule
    new = config.earning_rule_update(actor=world.users.staff_a, rule=old, changes={"points": 5})
    assert new.pk != old.pk and new.points == 5
    assert new.valid_from == timezone.localdate()
    old.refresh_from_db()
    claim.refresh_from_db()
    assert old.points == 2 and old.valid_to == timezone.localdate() - dt.timedelta(days=1)
    assert claim.rule_id == old.pk and claim.points == 4
    actions = list(ConfigChange.objects.order_by("id").values_list("object_id", "action"))
    assert actions == [(old.pk, "retire"), (new.pk, "create")]


def test_deleting_an_earning_rule_that_claims_use_retires_it(world, claim):
    config.earning_rule_delete(actor=world.users.staff_a, rule=claim.rule)
    rule = EarningRule.objects.get(pk=claim.rule_id)
    assert rule.valid_to == timezone.localdate() - dt.timedelta(days=1)
    assert ConfigChange.objects.get().action == "retire"


def test_an_unused_earning_rule_is_edited_in_place(world):
    rule = config.earning_rule_create(
        actor=world.users.staff_a,
        community=world.a,
        values={"kind": "task", "unit": "task", "points": 3},
    )
    same = config.earning_rule_update(actor=world.users.staff_a, rule=rule, changes={"points": 4})
    assert same.pk == rule.pk and same.points == 4
    change = ConfigChange.objects.get(action="update")
    assert (change.before["points"], change.after["points"]) == (3, 4)


def test_staff_of_y_cannot_change_xs_earning_rule(world, claim):
    with pytest.raises(ConfigError) as refused:
        config.earning_rule_update(
            actor=world.users.staff_b, rule=claim.rule, changes={"points": 9}
        )
    assert refused.value.status == 403
    assert EarningRule.objects.count() == 1 and not ConfigChange.objects.exists()


def test_the_change_log_is_append_only(world):
    rule = config.responsibility_rule_create(
        actor=world.users.staff_a, community=world.a, values={"tier": "small"}
    )
    change = ConfigChange.objects.get(object_id=rule.pk)
    change.action = "delete"
    with pytest.raises(ValueError):
        change.save()
    # The database refuses too, whatever bypasses save() (queryset update, delete, raw SQL).
    with pytest.raises(DatabaseError), transaction.atomic():
        ConfigChange.objects.filter(pk=change.pk).update(action="delete")
    with pytest.raises(DatabaseError), transaction.atomic():
        ConfigChange.objects.filter(pk=change.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE configuration_configchange SET object_id = 0")
    change.refresh_from_db()
    assert (change.action, change.object_id) == ("create", rule.pk)


def test_a_rule_changed_by_staff_routes_the_next_matter(world):
    routing.install_default_rules(world.a)
    small = ResponsibilityRule.objects.get(community=world.a, tier="small", category="")
    before = make_matter(building=world.y1, tier="small", category="greening")
    services.matter_route(matter=before, actor=world.users.staff_a)
    before.refresh_from_db()
    assert before.working_mode == "cooperate"

    config.responsibility_rule_update(
        actor=world.users.staff_a, rule=small, changes={"working_mode": "joint"}
    )
    after = make_matter(building=world.y1, tier="small", category="greening")
    services.matter_route(matter=after, actor=world.users.staff_a)
    after.refresh_from_db()
    before.refresh_from_db()
    assert after.working_mode == "joint"
    assert before.working_mode == "cooperate"


def test_a_superuser_configures_any_community_and_residents_none(world):
    config.deadline_policy_create(
        actor=world.users.admin, community=world.b, values={"tier": "hard", "resolve_days": 20}
    )
    with pytest.raises(ConfigError):
        config.deadline_policy_create(
            actor=world.users.resident_a,
            community=world.a,
            values={"tier": "hard", "resolve_days": 20},
        )
    assert ConfigChange.objects.get().community == world.b

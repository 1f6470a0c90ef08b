"""A matter's history is append-only in the database itself, on SQLite and PostgreSQL: rows
cannot be updated or deleted (not even by deleting the matter), deleting a user still clears
the actor, and transactional tests can still flush the database."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from gongzhi.accounts.models import UserRole
from gongzhi.matters import services as s
from gongzhi.matters.models import Matter, MatterEvent
from gongzhi.places.models import Community, Subdistrict
from tests.conftest import append_only_lifted
from tests.factories import make_user
from tests.factories_matters import make_matter


def _submit(world, actor=None):
    return s.matter_submit(
        actor=actor or world.users.staff_a,
        text="3栋楼道灯坏了，晚上看不见",
        channel="grid_visit",
        place=s.resolve_place(building=world.y1),
        reporter=world.res_a,
        category="facilities",
        tier="small",
    )


def _refused(write) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        write()


def test_history_rows_cannot_be_updated_or_deleted(world):
    matter = _submit(world)
    event = matter.events.get(action="submit")

    _refused(lambda: MatterEvent.objects.filter(pk=event.pk).update(note="rewritten"))
    _refused(lambda: MatterEvent.objects.filter(pk=event.pk).update(action="close"))
    _refused(lambda: MatterEvent.objects.filter(pk=event.pk).delete())
    _refused(lambda: Matter.objects.filter(pk=matter.pk).delete())  # the cascade is refused

    event.refresh_from_db()
    assert (event.action, event.note) == ("submit", "")
    assert Matter.objects.filter(pk=matter.pk).exists()


def test_deleting_a_user_clears_the_actor_of_their_history(world):
    clerk = make_user("clerk_a", role=UserRole.COMMUNITY_STAFF, community=world.a)
    matter = _submit(world, actor=clerk)
    event = matter.events.get(action="submit")
    assert event.actor == clerk

    clerk.delete()

    event.refresh_from_db()
    assert event.actor is None
    assert event.action == "submit"
    # Clearing is the only change allowed: setting another actor is refused.
    _refused(lambda: MatterEvent.objects.filter(pk=event.pk).update(actor=world.users.staff_a))


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_flush_the_history_and_the_triggers_come_back(world):
    _submit(world)
    assert MatterEvent.objects.exists()

    with append_only_lifted(connection):
        call_command("flush", interactive=False, verbosity=0)
    assert not MatterEvent.objects.exists()

    # The triggers are back: the history is append-only again …
    sub = Subdistrict.objects.create(name="琴台街道")
    matter = make_matter(community=Community.objects.create(subdistrict=sub, name="X社区"))
    MatterEvent.objects.create(matter=matter, at=timezone.now(), action="submit")
    _refused(lambda: matter.events.update(note="rewritten"))
    # … and this test's own teardown flushes these rows past them (tests/conftest.py).

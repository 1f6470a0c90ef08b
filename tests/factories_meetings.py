"""Builders for meeting tests: a venue, a meeting in session with voters present."""

import datetime as dt

from django.utils import timezone

from gongzhi.meetings import services
from gongzhi.meetings.models import Venue


def make_venue(world, name="渔家苑议事厅", compound=None) -> Venue:
    return Venue.objects.create(community=world.a, compound=compound, name=name)


def make_meeting(world, *, place=None, venue=None, days=2, title="居民议事会", **kwargs):
    starts_at = timezone.now() + dt.timedelta(days=days)
    return services.meeting_create(
        actor=world.users.staff_a,
        title=title,
        place=place or world.a,
        starts_at=starts_at,
        venue=venue,
        **kwargs,
    )


def voters_present(world, meeting, *, present=3, absent=0):
    """Invite ``present + absent`` residents of community A as voters; mark the first present."""
    residents = [world.res_a, world.res_y1b, world.res_y2, world.res_j1, world.res_a_spouse]
    people = []
    for index, resident in enumerate(residents[: present + absent]):
        participant = services.participant_invite(
            actor=world.users.staff_a, meeting=meeting, resident=resident, is_voter=True
        )
        if index < present:
            services.participant_attend(actor=world.users.staff_a, participant=participant)
        participant.refresh_from_db()
        people.append(participant)
    return people

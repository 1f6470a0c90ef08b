"""Activities, and co-building labour (共建) on micro-projects recorded as activities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.scope import Actor
from gongzhi.core.services import acting_user
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound
from gongzhi.volunteering import rules
from gongzhi.volunteering.models import Activity, ActivityKind
from gongzhi.volunteering.services._base import (
    VolunteeringError,
    _check_minutes,
    _forbidden,
    _person,
    activity_event,
)
from gongzhi.volunteering.services.records import service_record_add, service_record_confirm


@transaction.atomic
def activity_create(
    *,
    title: str,
    kind: str,
    organiser: Team | Organisation,
    actor: Actor,
    date: dt.date,
    community: Community | None = None,
    compound: Compound | None = None,
    building: Building | None = None,
    source: str = "",
) -> Activity:
    """An activity organised by a team or an organisation; ``actor`` becomes its organiser."""
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise VolunteeringError(
            "invalid_title", _("Give the activity a title (at most 120 characters).")
        )
    if kind not in ActivityKind.values:
        raise VolunteeringError("invalid_kind", _("Unknown kind of activity."))
    if not isinstance(date, dt.date):
        raise VolunteeringError("invalid_date", _("Give the date of the activity."))
    if date > timezone.localdate():
        raise VolunteeringError(
            "future_date", _("Hours are recorded after the service, not before.")
        )
    team = organiser if isinstance(organiser, Team) else None
    org = organiser if isinstance(organiser, Organisation) else None
    holder = team if team is not None else org
    if holder is None:
        raise VolunteeringError(
            "invalid_organiser", _("The organiser is a team or an organisation.")
        )
    if building is not None:
        compound = building.compound
    if compound is not None:
        community = compound.community
    community = community or holder.community
    if community is None:
        raise VolunteeringError("unknown_place", _("Choose the community of the activity."))
    organiser_community = holder.community_id
    if organiser_community not in (None, community.pk) or (
        org is not None and org.subdistrict_id != community.subdistrict_id
    ):
        raise VolunteeringError(
            "other_community", _("The organiser does not belong to this community.")
        )
    if not rules.can_create_activity(actor, community_id=community.pk, team=team):
        raise _forbidden()
    activity = Activity.objects.create(
        title=title,
        kind=kind,
        community=community,
        compound=compound,
        building=building,
        organiser_team=team,
        organiser_org=org,
        organised_by=acting_user(actor),
        date=date,
        source=(source or "")[:40],
    )
    activity_event(activity, "created", actor=actor, now=timezone.now())
    return activity


@transaction.atomic
def co_building_record(
    *,
    project_source: str,
    participants: Iterable[Partner | Resident],
    minutes: int,
    organiser: Team | Organisation,
    actor: Actor,
    date: dt.date,
    title: str = "",
) -> Activity:
    """Record residents' and partners' co-building labour (共建) on a project as confirmed
    service records, each with its points claim filed (申请) under the ``co_building`` rule.

    ``project_source`` names the project, e.g. ``"project:7"``; one activity is kept per
    (project, date), so calling again for the same day adds the participants not yet recorded
    and leaves the others alone. ``actor`` must be on the organising side (the project's
    organiser or community staff). The claims then go through review and publicity like any
    other (``points_claim_approve``, the sweep issues them). Returns the activity.
    """
    minutes = _check_minutes(minutes)
    source = (project_source or "").strip()
    if not source:
        raise VolunteeringError("invalid_source", _("Name the project the labour was for."))
    activity = Activity.objects.filter(
        kind=ActivityKind.CO_BUILDING, source=source[:40], date=date
    ).first()
    if activity is None:
        activity = activity_create(
            title=title or _("Co-building labour (%(source)s)") % {"source": source},
            kind=ActivityKind.CO_BUILDING,
            organiser=organiser,
            actor=actor,
            date=date,
            source=source,
        )
    elif not rules.is_organiser(actor, activity):
        raise _forbidden()
    recorded: set[tuple[int | None, int | None]] = {
        (resident_id, None if resident_id else partner_id)
        for resident_id, partner_id in activity.records.values_list("resident_id", "partner_id")
    }
    for participant in participants:
        person = _person(participant)
        key: tuple[int | None, int | None] = (
            (person.pk, None) if isinstance(person, Resident) else (None, person.pk)
        )
        if key in recorded:
            continue
        record = service_record_add(
            activity=activity, participant=participant, minutes=minutes, actor=actor
        )
        service_record_confirm(record=record, actor=actor)
        recorded.add(key)
    return activity

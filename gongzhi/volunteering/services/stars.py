"""Star levels (星级): publicised when reached, awarded after the publicity, withdrawn when
revoked hours take a person below them. From approved minutes only, never points."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Sum

from gongzhi.accounts.scope import Actor
from gongzhi.core.services import now_or
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Community
from gongzhi.volunteering.models import (
    DEFAULT_STAR_THRESHOLDS,
    ServiceRecord,
    StarAward,
    StarScheme,
    StarStatus,
    person_q,
)
from gongzhi.volunteering.services._base import stars


def star_scheme_for(community: Community | int) -> StarScheme:
    community_id = community.pk if isinstance(community, Community) else community
    scheme = StarScheme.objects.filter(community_id=community_id).first()
    if scheme is not None:
        return scheme
    try:
        with transaction.atomic():
            return StarScheme.objects.create(
                community_id=community_id, thresholds=list(DEFAULT_STAR_THRESHOLDS)
            )
    except IntegrityError:
        return StarScheme.objects.get(community_id=community_id)


def approved_minutes(person: Partner | Resident, community_id: int | None = None) -> int:
    """A person's approved minutes (never points): the basis of stars and certificates."""
    records = ServiceRecord.objects.approved().filter(person_q(person))
    if community_id is not None:
        records = records.filter(activity__community_id=community_id)
    return records.aggregate(n=Sum("minutes"))["n"] or 0


def _refresh_person(
    scheme: StarScheme,
    key: tuple[int | None, int | None],
    minutes: int,
    *,
    actor: Actor | None,
    now: dt.datetime,
) -> None:
    resident_id, partner_id = key
    owner = (
        {"resident_id": resident_id}
        if resident_id
        else {"partner_id": partner_id, "resident": None}
    )
    level = scheme.level_for(minutes)
    live = StarAward.objects.filter(scheme=scheme, **owner).exclude(status=StarStatus.WITHDRAWN)
    for award in live.filter(level__gt=level).select_for_update():
        award.withdrawn_at = now
        stars.move(
            award,
            to=StarStatus.WITHDRAWN,
            allowed={StarStatus.PUBLICISED, StarStatus.AWARDED},
            actor=actor,
            action="withdrawn",
            verb=str(StarStatus.WITHDRAWN.label),
            now=now,
            data={"level": award.level, "minutes": minutes},
            fields=["withdrawn_at"],
        )
    top = (
        live.filter(level__lte=level).order_by("-level").values_list("level", flat=True).first()
        or 0
    )
    if level > top:
        award = StarAward.objects.create(
            scheme=scheme,
            level=level,
            minutes=minutes,
            created_at=now,
            publicity_until=now + dt.timedelta(days=scheme.publicity_days),
            **owner,
        )
        stars.record(
            award,
            actor=actor,
            action="publicised",
            now=now,
            data={"level": level, "minutes": minutes},
        )


def star_awards_refresh_for(
    record: ServiceRecord, *, actor: Actor | None, now: dt.datetime | None
) -> dict:
    """``star_awards_refresh`` for the person of ``record``, in its activity's community."""
    return star_awards_refresh(
        community=record.activity.community, person=record.person, actor=actor, now=now
    )


@transaction.atomic
def star_awards_refresh(
    *,
    community: Community | int,
    person: Partner | Resident | None = None,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """Bring star levels in line with approved minutes: a newly reached level is publicised, a
    level no longer reached (a revoked record) withdrawn with an event, and a level whose
    publicity has ended is awarded. ``person`` limits the first two steps to one person."""
    now = now_or(now)
    scheme = star_scheme_for(community)
    records = ServiceRecord.objects.approved().filter(activity__community_id=scheme.community_id)
    awards = StarAward.objects.filter(scheme=scheme).exclude(status=StarStatus.WITHDRAWN)
    if person is not None:
        records = records.filter(person_q(person))
        awards = awards.filter(person_q(person))
    totals = {
        (row["resident_id"], None if row["resident_id"] else row["partner_id"]): row["n"]
        for row in records.values("resident_id", "partner_id").annotate(n=Sum("minutes"))
    }
    for row in awards.values("resident_id", "partner_id").distinct():
        totals.setdefault(
            (row["resident_id"], None if row["resident_id"] else row["partner_id"]), 0
        )
    lowest = scheme.thresholds[0] * 60 if scheme.thresholds else None
    holders = {(r, None if r else p) for r, p in awards.values_list("resident_id", "partner_id")}
    for key, minutes in sorted(totals.items(), key=lambda item: (item[0][0] or 0, item[0][1] or 0)):
        if key in holders or (lowest is not None and minutes >= lowest):
            _refresh_person(scheme, key, minutes, actor=actor, now=now)
    awarded = 0
    for award in awards.filter(
        status=StarStatus.PUBLICISED, publicity_until__lte=now
    ).select_for_update():
        award.awarded_at = now
        stars.move(
            award,
            to=StarStatus.AWARDED,
            allowed={StarStatus.PUBLICISED},
            actor=actor,
            action="awarded",
            verb=str(StarStatus.AWARDED.label),
            now=now,
            data={"level": award.level},
            fields=["awarded_at"],
        )
        awarded += 1
    return {"stars_awarded": awarded}

"""Service records: minutes recorded (claimed), confirmed by the organiser ("谁组织谁记录"),
fixed from then on except through an audited amendment, or revoked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from gongzhi.accounts.scope import Actor
from gongzhi.core.services import acting_user, now_or
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.volunteering import rules
from gongzhi.volunteering.models import (
    FIXED_STATUSES,
    Activity,
    ClaimStatus,
    EarningRule,
    PointsClaim,
    RecordStatus,
    ServiceAmendment,
    ServiceRecord,
)
from gongzhi.volunteering.services._base import (
    VolunteeringError,
    _check_minutes,
    _check_reason,
    _forbidden,
    _person,
    _person_community_id,
    _person_fields,
    claims,
    records,
)
from gongzhi.volunteering.services.claims import _earn, _reverse_issued
from gongzhi.volunteering.services.stars import star_awards_refresh_for


def _for_organiser(record: ServiceRecord, actor: Actor) -> ServiceRecord:
    """The record, fresh and locked, if ``actor`` organises its activity ("谁组织谁记录")."""
    record = records.locked(record)
    if not rules.is_organiser(actor, record.activity):
        raise _forbidden()
    return record


@transaction.atomic
def service_record_add(
    *,
    activity: Activity,
    participant: Partner | Resident,
    minutes: int,
    actor: Actor,
    now: dt.datetime | None = None,
) -> ServiceRecord:
    """Record a participant's minutes (status *claimed*). The organising side records anyone;
    a participant may claim their own hours for the organiser to confirm."""
    minutes = _check_minutes(minutes)
    person = _person_fields(participant)
    if not (
        rules.is_organiser(actor, activity) or rules.can_claim_for(actor, _person(participant))
    ):
        raise _forbidden()
    if _person_community_id(participant) != activity.community_id:
        raise VolunteeringError(
            "other_community",
            _("%(name)s does not belong to the activity's community.") % {"name": participant.name},
        )
    now = now_or(now)
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(
                activity=activity,
                minutes=minutes,
                recorded_by=acting_user(actor),
                recorded_at=now,
                **person,
            )
    except IntegrityError:
        raise VolunteeringError(
            "duplicate_participant",
            _("%(name)s is already recorded for this activity.") % {"name": participant.name},
        ) from None
    records.record(record, actor=actor, action="recorded", now=now, data={"minutes": minutes})
    return record


@transaction.atomic
def service_records_add_batch(
    *,
    activity: Activity,
    participants: Iterable[Partner | Resident],
    minutes: int,
    actor: Actor,
    confirm: bool = False,
    now: dt.datetime | None = None,
) -> list[ServiceRecord]:
    """Record one activity's hours for many volunteers in one step: every row or none. Each
    participant goes through ``service_record_add`` (and ``service_record_confirm`` when
    ``confirm``), so the single and the batch path refuse the same things; the first refusal
    (naming the volunteer) undoes the whole batch."""
    unique = list({(type(p), p.pk): p for p in participants}.values())
    if not unique:
        raise VolunteeringError("participants_required", _("Choose at least one volunteer."))
    added = []
    for participant in unique:
        record = service_record_add(
            activity=activity, participant=participant, minutes=minutes, actor=actor, now=now
        )
        if confirm:
            record = service_record_confirm(record=record, actor=actor, now=now)
        added.append(record)
    return added


def rule_for(activity: Activity) -> EarningRule | None:
    """The earning rule for the activity's kind valid on its date (the latest one)."""
    return (
        EarningRule.objects.filter(
            community_id=activity.community_id, kind=activity.kind, valid_from__lte=activity.date
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=activity.date))
        .order_by("-valid_from", "-id")
        .first()
    )


@transaction.atomic
def service_record_confirm(
    *, record: ServiceRecord, actor: Actor, now: dt.datetime | None = None
) -> ServiceRecord:
    """The organiser confirms the minutes ("谁组织谁记录"); the record is fixed from now on, and
    its points claim is filed (申请) by the earning rule valid on the activity's date."""
    record = _for_organiser(record, actor)
    now = now_or(now)
    record.confirmed_by = acting_user(actor)
    record.confirmed_at = now
    records.move(
        record,
        to=RecordStatus.CONFIRMED,
        allowed={RecordStatus.CLAIMED},
        actor=actor,
        action="confirmed",
        verb=_("confirmed"),
        now=now,
        data={"minutes": record.minutes},
        fields=["confirmed_by", "confirmed_at"],
    )
    rule = rule_for(record.activity)
    claim = PointsClaim.objects.create(
        record=record,
        rule=rule,
        points=rule.points_for(record.minutes) if rule else 0,
        applied_at=now,
    )
    claims.record(claim, actor=actor, action="applied", now=now, data={"points": claim.points})
    return record


@transaction.atomic
def service_record_amend(
    *,
    record: ServiceRecord,
    minutes: int,
    reason: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> ServiceAmendment:
    """Change the minutes of a confirmed record, leaving an amendment row. If its points were
    issued, the old earning is reversed and the new amount earned (a reversal + a new earn)."""
    minutes = _check_minutes(minutes)
    reason = _check_reason(reason)
    record = _for_organiser(record, actor)
    if record.status not in FIXED_STATUSES:
        raise records.bad_state(record, _("amended"))
    if minutes == record.minutes:
        raise VolunteeringError("unchanged", _("The minutes are unchanged."))
    now = now_or(now)
    amendment = ServiceAmendment.objects.create(
        record=record,
        old_minutes=record.minutes,
        new_minutes=minutes,
        reason=reason,
        by=acting_user(actor),
        at=now,
    )
    record.minutes = minutes
    record._amending = True  # type: ignore[attr-defined]  # the model's guard lets it through
    record.save(update_fields=["minutes"])
    claim = PointsClaim.objects.select_for_update().get(record=record)
    points = claim.rule.points_for(minutes) if claim.rule else 0
    if claim.status == ClaimStatus.ISSUED and points != claim.points:
        amendment.reversal = _reverse_issued(
            claim, reason=_("Service hours amended: %(reason)s") % {"reason": reason}, actor=actor
        )
        claim.journal = (
            _earn(record, points, key=f"svc:{record.pk}:amend:{amendment.pk}", actor=actor, now=now)
            if points
            else None
        )
        amendment.earning = claim.journal
        amendment.save(update_fields=["reversal", "earning"])
    claim.points = points
    claim.save(update_fields=["points", "journal"])
    records.record(
        record,
        actor=actor,
        action="amended",
        now=now,
        note=reason,
        data={"old": amendment.old_minutes, "new": minutes},
    )
    if record.status == RecordStatus.APPROVED:
        star_awards_refresh_for(record, actor=actor, now=now)
    return amendment


@transaction.atomic
def service_record_revoke(
    *, record: ServiceRecord, reason: str, actor: Actor, now: dt.datetime | None = None
) -> ServiceRecord:
    """Revoke a record (false or mistaken): its claim is withdrawn, issued points are reversed,
    and the person's star level is recomputed."""
    reason = _check_reason(reason)
    record = _for_organiser(record, actor)
    now = now_or(now)
    was_approved = record.status == RecordStatus.APPROVED
    from_status = record.status
    records.move(
        record,
        to=RecordStatus.REVOKED,
        allowed=set(RecordStatus.values) - {RecordStatus.REVOKED, RecordStatus.REJECTED},
        actor=actor,
        action="revoked",
        verb=_("revoked"),
        now=now,
        note=reason,
        data={"was": from_status},
    )
    claim = PointsClaim.objects.select_for_update().filter(record=record).first()
    if claim is not None and claim.status not in (ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN):
        _reverse_issued(
            claim, reason=_("Service record revoked: %(reason)s") % {"reason": reason}, actor=actor
        )
        claims.move(
            claim,
            to=ClaimStatus.WITHDRAWN,
            allowed=set(ClaimStatus.values) - {ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN},
            actor=actor,
            action="withdrawn",
            verb=str(ClaimStatus.WITHDRAWN.label),
            now=now,
            note=reason,
        )
    if was_approved:
        star_awards_refresh_for(record, actor=actor, now=now)
    return record

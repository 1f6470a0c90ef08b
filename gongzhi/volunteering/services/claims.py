"""Points claims: 申请 (filed when a record is confirmed) → 审核 (approve) → 公示 (publicity,
objections) → issued through ``points_earn`` with the key ``svc:<record id>``; and the glue to
``gongzhi.points.services`` that records use too (earn, reverse)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gongzhi.accounts.scope import Actor
from gongzhi.core.services import acting_user, now_or
from gongzhi.notifications.services import notify_users
from gongzhi.points.models import Journal
from gongzhi.points.services import PointsError, points_earn, points_reverse
from gongzhi.volunteering import rules
from gongzhi.volunteering.models import (
    Activity,
    ClaimStatus,
    PointsClaim,
    RecordStatus,
    ServiceRecord,
)
from gongzhi.volunteering.services._base import (
    VolunteeringError,
    _check_reason,
    _forbidden,
    claims,
)
from gongzhi.volunteering.services.stars import star_awards_refresh_for


def _set_record_status(record: ServiceRecord, status: str) -> None:
    record.status = status
    record.save(update_fields=["status"])


def _tell_volunteer(record: ServiceRecord, title: str, *, link: str) -> None:
    people = Q(pk__in=[])
    if record.resident_id:
        people |= Q(profile__resident_id=record.resident_id)
    if record.partner_id:
        people |= Q(profile__partner_id=record.partner_id)
    notify_users(
        users=get_user_model().objects.filter(people), kind="points", title=title, link=link
    )


def _earn(
    record: ServiceRecord, points: int, *, key: str, actor: Actor | None, now: dt.datetime
) -> Journal:
    activity = record.activity
    try:
        return points_earn(
            holder=record.person,
            amount=points,
            reason=_("Volunteer service: %(title)s (%(hours)s h)")
            % {"title": activity.title, "hours": record.hours},
            source=f"service:{record.pk}",
            idempotency_key=key,
            actor=acting_user(actor),
            effective_at=now,
        )
    except PointsError as exc:
        raise VolunteeringError(exc.code, exc.message) from None


def _reverse_issued(claim: PointsClaim, *, reason: str, actor: Actor | None) -> Journal | None:
    """Reverse the points an issued claim earned (``None`` when it earned none)."""
    if claim.status != ClaimStatus.ISSUED or claim.journal is None:
        return None
    try:
        return points_reverse(journal=claim.journal, reason=reason, actor=acting_user(actor))
    except PointsError as exc:
        raise VolunteeringError(exc.code, exc.message) from None


def _for_review(claim: PointsClaim, actor: Actor) -> PointsClaim:
    """The claim, fresh and locked, if ``actor`` reviews the claims of its community."""
    claim = claims.locked(claim)
    if not rules.can_review(actor, claim.record.activity.community_id):
        raise _forbidden()
    return claim


def _reviewed(claim: PointsClaim, actor: Actor, now: dt.datetime) -> list[str]:
    """Stamp who reviewed ``claim`` and when; the fields to save."""
    claim.reviewed_by = acting_user(actor)
    claim.reviewed_at = now
    return ["reviewed_by", "reviewed_at"]


@transaction.atomic
def points_claim_approve(
    *, claim: PointsClaim, actor: Actor, now: dt.datetime | None = None
) -> PointsClaim:
    """审核: staff approve a claim; it is publicised (公示) for the rule's publicity days."""
    claim = _for_review(claim, actor)
    now = now_or(now)
    days = claim.rule.publicity_days if claim.rule else 0
    reviewed = _reviewed(claim, actor, now)
    claim.publicity_until = now + dt.timedelta(days=days)
    claims.move(
        claim,
        to=ClaimStatus.PUBLICISED,
        allowed={ClaimStatus.APPLIED},
        actor=actor,
        action="approved",
        verb=_("approved"),
        now=now,
        data={"publicity_days": days},
        fields=[*reviewed, "publicity_until"],
    )
    _set_record_status(claim.record, RecordStatus.PUBLICISED)
    _tell_volunteer(
        claim.record,
        _("Your points claim was approved; it is publicised until %(until)s.")
        % {"until": timezone.localtime(claim.publicity_until).strftime("%Y-%m-%d")},
        link="/volunteering/mine/",
    )
    return claim


@transaction.atomic
def points_claims_approve_batch(
    *, claims: Iterable[PointsClaim], actor: Actor, now: dt.datetime | None = None
) -> list[PointsClaim]:
    """Approve many claims at once through ``points_claim_approve``: all or none. A refusal
    names the claim (number and volunteer) and undoes the approvals before it."""
    unique = list({claim.pk: claim for claim in claims}.values())
    if not unique:
        raise VolunteeringError("claims_required", _("Choose at least one claim."))
    approved = []
    for claim in unique:
        try:
            approved.append(points_claim_approve(claim=claim, actor=actor, now=now))
        except VolunteeringError as exc:
            message = _("Claim #%(id)s (%(name)s): %(reason)s Nothing was approved.") % {
                "id": claim.pk,
                "name": claim.record.person_name,
                "reason": exc.message,
            }
            raise VolunteeringError(exc.code, message) from None
    return approved


@transaction.atomic
def points_claim_reject(
    *, claim: PointsClaim, reason: str, actor: Actor, now: dt.datetime | None = None
) -> PointsClaim:
    """Refuse a claim (in review, or upholding an objection): its record counts no hours."""
    reason = _check_reason(reason)
    claim = _for_review(claim, actor)
    now = now_or(now)
    reviewed = _reviewed(claim, actor, now)
    claims.move(
        claim,
        to=ClaimStatus.REJECTED,
        allowed={ClaimStatus.APPLIED, ClaimStatus.PUBLICISED, ClaimStatus.OBJECTED},
        actor=actor,
        action="rejected",
        verb=pgettext("volunteering", "rejected"),
        now=now,
        note=reason,
        fields=reviewed,
    )
    _set_record_status(claim.record, RecordStatus.REJECTED)
    return claim


@transaction.atomic
def points_claim_object(
    *, claim: PointsClaim, reason: str, actor: Actor, now: dt.datetime | None = None
) -> PointsClaim:
    """An objection during publicity holds the claim until staff decide."""
    reason = _check_reason(reason)
    claim = claims.locked(claim)
    visible = rules.activities_visible(actor, Activity.objects.filter(pk=claim.record.activity_id))
    if not visible.exists():
        raise _forbidden()
    now = now_or(now)
    if (
        claim.status != ClaimStatus.PUBLICISED
        or claim.publicity_until is None
        or claim.publicity_until <= now
    ):
        raise VolunteeringError(
            "not_in_publicity", _("Objections are possible only while the claim is publicised.")
        )
    claim.objection = reason
    claims.move(
        claim,
        to=ClaimStatus.OBJECTED,
        allowed={ClaimStatus.PUBLICISED},
        actor=actor,
        action="objected",
        verb=str(ClaimStatus.OBJECTED.label),
        now=now,
        note=reason,
        fields=["objection"],
    )
    return claim


@transaction.atomic
def points_claim_dismiss_objection(
    *, claim: PointsClaim, reason: str, actor: Actor, now: dt.datetime | None = None
) -> PointsClaim:
    """Staff find an objection unfounded: the claim is publicised again until its end date."""
    reason = _check_reason(reason)
    claim = _for_review(claim, actor)
    claims.move(
        claim,
        to=ClaimStatus.PUBLICISED,
        allowed={ClaimStatus.OBJECTED},
        actor=actor,
        action="objection_dismissed",
        verb=_("cleared"),
        now=now,
        note=reason,
    )
    return claim


@transaction.atomic
def points_claim_issue(
    *, claim: PointsClaim, actor: Actor | None = None, now: dt.datetime | None = None
) -> PointsClaim:
    """After publicity: issue the points (key ``svc:<record id>``, so exactly once) and approve
    the record's hours. The sweep calls this for every claim whose publicity has ended."""
    claim = claims.locked(claim) if actor is None else _for_review(claim, actor)
    now = now_or(now)
    if claim.status != ClaimStatus.PUBLICISED:
        raise claims.bad_state(claim, _("issued"))
    if claim.publicity_until is not None and claim.publicity_until > now:
        raise VolunteeringError(
            "in_publicity",
            _("The publicity runs until %(until)s.")
            % {"until": timezone.localtime(claim.publicity_until).strftime("%Y-%m-%d %H:%M")},
        )
    record = claim.record
    if claim.points:
        claim.journal = _earn(record, claim.points, key=f"svc:{record.pk}", actor=actor, now=now)
    claim.issued_at = now
    claims.move(
        claim,
        to=ClaimStatus.ISSUED,
        allowed={ClaimStatus.PUBLICISED},
        actor=actor,
        action="issued",
        verb=_("issued"),
        now=now,
        data={"points": claim.points},
        fields=["issued_at", "journal"],
    )
    _set_record_status(record, RecordStatus.APPROVED)
    if claim.points:
        _tell_volunteer(
            record,
            _("%(points)d points have arrived for your service.") % {"points": claim.points},
            link="/points/",
        )
    star_awards_refresh_for(record, actor=actor, now=now)
    return claim


def points_claims_issue_due(*, now: dt.datetime | None = None) -> int:
    """Issue every claim whose publicity has ended, each in its own transaction; a claim that
    another sweep issued meanwhile is skipped. Returns how many were issued."""
    now = now_or(now)
    issued = 0
    due = PointsClaim.objects.filter(status=ClaimStatus.PUBLICISED, publicity_until__lte=now)
    for claim in due.order_by("pk").only("pk"):
        try:
            points_claim_issue(claim=claim, now=now)
        except VolunteeringError as exc:
            if exc.code != "bad_state":
                raise
        else:
            issued += 1
    return issued

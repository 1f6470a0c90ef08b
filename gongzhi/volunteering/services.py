"""Every write to volunteer service: one function per transition (docs/volunteering.md).

Record:  claimed ──confirm──► confirmed ──claim approved──► publicised ──claim issued──► approved
                                 │ (amend: audited, minutes only)      └─ objection upheld ─► rejected
                                 └──────────────── revoke (any fixed state) ───────────────► revoked
Claim:   applied ──approve (审核)──► publicised (公示) ──issue──► issued
            │                          │   └─object──► objected ──dismiss──► publicised
            └──reject──► rejected ◄────┴──────────────── uphold ─────┘

Each transition locks its row, checks permission ("谁组织谁记录": ``rules.is_organiser``) and
the allowed source states, saves with ``update_fields`` and appends a ``VolunteeringEvent``.
Points move only through ``gongzhi.points.services``: the earning of a record has the
idempotency key ``svc:<record id>``, so issuing twice (or two racing sweeps) earns once; an
amendment of an issued record reverses that earning and earns the new amount under
``svc:<record id>:amend:<amendment id>``. Errors are ``VolunteeringError`` with a stable code
and a translated message, and change nothing.
"""

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gongzhi.core.services import ServiceError
from gongzhi.notifications.services import notify_users
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound
from gongzhi.points.services import PointsError, points_earn, points_reverse
from gongzhi.volunteering import rules
from gongzhi.volunteering.models import (
    DEFAULT_STAR_THRESHOLDS,
    FIXED_STATUSES,
    Activity,
    ActivityKind,
    ClaimStatus,
    EarningRule,
    PointsClaim,
    RecordStatus,
    ServiceAmendment,
    ServiceRecord,
    StarAward,
    StarScheme,
    StarStatus,
    VolunteeringEvent,
)

MAX_MINUTES = 24 * 60  # one activity is at most a day of service


class VolunteeringError(ServiceError):
    """A refused write (``core.services.ServiceError``): 403 ``forbidden``, 409 the state
    conflicts below, 400 the rest."""

    statuses = {
        code: 409
        for code in (
            "duplicate_participant",
            "in_publicity",
            "not_in_publicity",
            "insufficient",
            "already_reversed",
        )
    }


def _forbidden() -> VolunteeringError:
    return VolunteeringError("forbidden", _("You may not do this."))


def _bad_state(obj, verb: str) -> VolunteeringError:
    return VolunteeringError(
        "bad_state",
        _("Something that is “%(status)s” cannot be %(verb)s.")
        % {"status": obj.get_status_display(), "verb": verb},
    )


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _event(subject: str, action: str, *, actor, now, note: str = "", **data) -> None:
    VolunteeringEvent.objects.create(
        subject=subject, action=action, actor=_user(actor), at=now, note=note[:200], data=data
    )


def _check_minutes(minutes) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_MINUTES:
        raise VolunteeringError(
            "invalid_minutes",
            _("Minutes served must be a whole number from 1 to %(max)d.") % {"max": MAX_MINUTES},
        )
    return minutes


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise VolunteeringError("reason_required", _("Give a reason."))
    return reason[:200]


def _person_fields(participant) -> dict:
    """One person per record: a partner linked to a resident is recorded as that resident."""
    if isinstance(participant, Partner):
        if participant.resident_id:
            return {"resident_id": participant.resident_id, "partner": participant}
        return {"resident": None, "partner": participant}
    if isinstance(participant, Resident):
        return {"resident": participant, "partner": None}
    raise VolunteeringError("invalid_participant", _("A participant is a resident or a partner."))


def _person(participant) -> Partner | Resident:
    if isinstance(participant, Partner) and participant.resident_id:
        return participant.resident
    return participant


def _person_community_id(participant) -> int:
    if isinstance(participant, Partner):
        return participant.community_id
    return participant.household.unit.building.compound.community_id


# Activities ---------------------------------------------------------------------------------


@transaction.atomic
def activity_create(
    *,
    title: str,
    kind: str,
    organiser: Team | Organisation,
    actor,
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
    if team is None and org is None:
        raise VolunteeringError(
            "invalid_organiser", _("The organiser is a team or an organisation.")
        )
    if building is not None:
        compound = building.compound
    if compound is not None:
        community = compound.community
    community = community or (team.community if team else org.community)
    if community is None:
        raise VolunteeringError("unknown_place", _("Choose the community of the activity."))
    organiser_community = team.community_id if team else org.community_id
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
        organised_by=_user(actor),
        date=date,
        source=(source or "")[:40],
    )
    _event(f"activity:{activity.pk}", "created", actor=actor, now=timezone.now())
    return activity


# Records ------------------------------------------------------------------------------------


@transaction.atomic
def service_record_add(
    *, activity: Activity, participant: Partner | Resident, minutes: int, actor, now=None
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
    now = now or timezone.now()
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(
                activity=activity,
                minutes=minutes,
                recorded_by=_user(actor),
                recorded_at=now,
                **person,
            )
    except IntegrityError:
        raise VolunteeringError(
            "duplicate_participant",
            _("%(name)s is already recorded for this activity.") % {"name": participant.name},
        ) from None
    _event(f"record:{record.pk}", "recorded", actor=actor, now=now, minutes=minutes)
    return record


@transaction.atomic
def service_records_add_batch(
    *, activity: Activity, participants, minutes: int, actor, confirm: bool = False, now=None
) -> list[ServiceRecord]:
    """Record one activity's hours for many volunteers in one step: every row or none. Each
    participant goes through ``service_record_add`` (and ``service_record_confirm`` when
    ``confirm``), so the single and the batch path refuse the same things; the first refusal
    (naming the volunteer) undoes the whole batch."""
    unique = list({(type(p), p.pk): p for p in participants}.values())
    if not unique:
        raise VolunteeringError("participants_required", _("Choose at least one volunteer."))
    records = []
    for participant in unique:
        record = service_record_add(
            activity=activity, participant=participant, minutes=minutes, actor=actor, now=now
        )
        if confirm:
            record = service_record_confirm(record=record, actor=actor, now=now)
        records.append(record)
    return records


def _locked_record(record: ServiceRecord) -> ServiceRecord:
    return (
        ServiceRecord.objects.select_for_update(of=("self",))
        .select_related("activity")
        .get(pk=record.pk)
    )


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
def service_record_confirm(*, record: ServiceRecord, actor, now=None) -> ServiceRecord:
    """The organiser confirms the minutes ("谁组织谁记录"); the record is fixed from now on, and
    its points claim is filed (申请) by the earning rule valid on the activity's date."""
    record = _locked_record(record)
    if not rules.is_organiser(actor, record.activity):
        raise _forbidden()
    if record.status != RecordStatus.CLAIMED:
        raise _bad_state(record, _("confirmed"))
    now = now or timezone.now()
    record.status = RecordStatus.CONFIRMED
    record.confirmed_by = _user(actor)
    record.confirmed_at = now
    record.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    _event(f"record:{record.pk}", "confirmed", actor=actor, now=now, minutes=record.minutes)
    rule = rule_for(record.activity)
    claim = PointsClaim.objects.create(
        record=record,
        rule=rule,
        points=rule.points_for(record.minutes) if rule else 0,
        applied_at=now,
    )
    _event(f"claim:{claim.pk}", "applied", actor=actor, now=now, points=claim.points)
    return record


def _reverse(journal, *, reason: str, actor):
    try:
        return points_reverse(journal=journal, reason=reason, actor=actor)
    except PointsError as exc:
        raise VolunteeringError(exc.code, exc.message) from None


@transaction.atomic
def service_record_amend(
    *, record: ServiceRecord, minutes: int, reason: str, actor, now=None
) -> ServiceAmendment:
    """Change the minutes of a confirmed record, leaving an amendment row. If its points were
    issued, the old earning is reversed and the new amount earned (a reversal + a new earn)."""
    minutes = _check_minutes(minutes)
    reason = _check_reason(reason)
    record = _locked_record(record)
    if not rules.is_organiser(actor, record.activity):
        raise _forbidden()
    if record.status not in FIXED_STATUSES:
        raise _bad_state(record, _("amended"))
    if minutes == record.minutes:
        raise VolunteeringError("unchanged", _("The minutes are unchanged."))
    now = now or timezone.now()
    amendment = ServiceAmendment.objects.create(
        record=record,
        old_minutes=record.minutes,
        new_minutes=minutes,
        reason=reason,
        by=_user(actor),
        at=now,
    )
    record.minutes = minutes
    record._amending = True
    record.save(update_fields=["minutes"])
    claim = PointsClaim.objects.select_for_update().get(record=record)
    points = claim.rule.points_for(minutes) if claim.rule else 0
    if claim.status == ClaimStatus.ISSUED and points != claim.points:
        if claim.journal is not None:
            amendment.reversal = _reverse(
                claim.journal,
                reason=_("Service hours amended: %(reason)s") % {"reason": reason},
                actor=actor,
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
    _event(
        f"record:{record.pk}",
        "amended",
        actor=actor,
        now=now,
        note=reason,
        old=amendment.old_minutes,
        new=minutes,
    )
    if record.status == RecordStatus.APPROVED:
        star_awards_refresh(
            community=record.activity.community, person=record.person, actor=actor, now=now
        )
    return amendment


@transaction.atomic
def service_record_revoke(*, record: ServiceRecord, reason: str, actor, now=None) -> ServiceRecord:
    """Revoke a record (false or mistaken): its claim is withdrawn, issued points are reversed,
    and the person's star level is recomputed."""
    reason = _check_reason(reason)
    record = _locked_record(record)
    if not rules.is_organiser(actor, record.activity):
        raise _forbidden()
    if record.status in (RecordStatus.REVOKED, RecordStatus.REJECTED):
        raise _bad_state(record, _("revoked"))
    now = now or timezone.now()
    was_approved = record.status == RecordStatus.APPROVED
    from_status = record.status
    record.status = RecordStatus.REVOKED
    record.save(update_fields=["status"])
    _event(f"record:{record.pk}", "revoked", actor=actor, now=now, note=reason, was=from_status)
    claim = PointsClaim.objects.select_for_update().filter(record=record).first()
    if claim is not None and claim.status not in (ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN):
        if claim.status == ClaimStatus.ISSUED and claim.journal is not None:
            _reverse(
                claim.journal,
                reason=_("Service record revoked: %(reason)s") % {"reason": reason},
                actor=actor,
            )
        claim.status = ClaimStatus.WITHDRAWN
        claim.save(update_fields=["status"])
        _event(f"claim:{claim.pk}", "withdrawn", actor=actor, now=now, note=reason)
    if was_approved:
        star_awards_refresh(
            community=record.activity.community, person=record.person, actor=actor, now=now
        )
    return record


# Claims -------------------------------------------------------------------------------------


def _locked_claim(claim: PointsClaim) -> PointsClaim:
    return (
        PointsClaim.objects.select_for_update(of=("self",))
        .select_related("record__activity", "rule")
        .get(pk=claim.pk)
    )


def _set_record_status(record: ServiceRecord, status: str) -> None:
    record.status = status
    record.save(update_fields=["status"])


@transaction.atomic
def points_claim_approve(*, claim: PointsClaim, actor, now=None) -> PointsClaim:
    """审核: staff approve a claim; it is publicised (公示) for the rule's publicity days."""
    claim = _locked_claim(claim)
    if not rules.can_review(actor, claim.record.activity.community_id):
        raise _forbidden()
    if claim.status != ClaimStatus.APPLIED:
        raise _bad_state(claim, _("approved"))
    now = now or timezone.now()
    days = claim.rule.publicity_days if claim.rule else 0
    claim.status = ClaimStatus.PUBLICISED
    claim.reviewed_by = _user(actor)
    claim.reviewed_at = now
    claim.publicity_until = now + dt.timedelta(days=days)
    claim.save(update_fields=["status", "reviewed_by", "reviewed_at", "publicity_until"])
    _set_record_status(claim.record, RecordStatus.PUBLICISED)
    _event(f"claim:{claim.pk}", "approved", actor=actor, now=now, publicity_days=days)
    _tell_volunteer(
        claim.record,
        _("Your points claim was approved; it is publicised until %(until)s.")
        % {"until": timezone.localtime(claim.publicity_until).strftime("%Y-%m-%d")},
        link="/volunteering/mine/",
    )
    return claim


@transaction.atomic
def points_claims_approve_batch(*, claims, actor, now=None) -> list[PointsClaim]:
    """Approve many claims at once through ``points_claim_approve``: all or none. A refusal
    names the claim (number and volunteer) and undoes the approvals before it."""
    claims = list({claim.pk: claim for claim in claims}.values())
    if not claims:
        raise VolunteeringError("claims_required", _("Choose at least one claim."))
    approved = []
    for claim in claims:
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


def _tell_volunteer(record: ServiceRecord, title: str, *, link: str) -> None:
    people = Q(pk__in=[])
    if record.resident_id:
        people |= Q(profile__resident_id=record.resident_id)
    if record.partner_id:
        people |= Q(profile__partner_id=record.partner_id)
    notify_users(
        users=get_user_model().objects.filter(people), kind="points", title=title, link=link
    )


@transaction.atomic
def points_claim_reject(*, claim: PointsClaim, reason: str, actor, now=None) -> PointsClaim:
    """Refuse a claim (in review, or upholding an objection): its record counts no hours."""
    reason = _check_reason(reason)
    claim = _locked_claim(claim)
    if not rules.can_review(actor, claim.record.activity.community_id):
        raise _forbidden()
    if claim.status not in (ClaimStatus.APPLIED, ClaimStatus.PUBLICISED, ClaimStatus.OBJECTED):
        raise _bad_state(claim, pgettext("volunteering", "rejected"))
    now = now or timezone.now()
    claim.status = ClaimStatus.REJECTED
    claim.reviewed_by = _user(actor)
    claim.reviewed_at = now
    claim.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    _set_record_status(claim.record, RecordStatus.REJECTED)
    _event(f"claim:{claim.pk}", "rejected", actor=actor, now=now, note=reason)
    return claim


@transaction.atomic
def points_claim_object(*, claim: PointsClaim, reason: str, actor, now=None) -> PointsClaim:
    """An objection during publicity holds the claim until staff decide."""
    reason = _check_reason(reason)
    claim = _locked_claim(claim)
    visible = rules.activities_visible(actor, Activity.objects.filter(pk=claim.record.activity_id))
    if not visible.exists():
        raise _forbidden()
    now = now or timezone.now()
    if claim.status != ClaimStatus.PUBLICISED or claim.publicity_until <= now:
        raise VolunteeringError(
            "not_in_publicity", _("Objections are possible only while the claim is publicised.")
        )
    claim.status = ClaimStatus.OBJECTED
    claim.objection = reason
    claim.save(update_fields=["status", "objection"])
    _event(f"claim:{claim.pk}", "objected", actor=actor, now=now, note=reason)
    return claim


@transaction.atomic
def points_claim_dismiss_objection(
    *, claim: PointsClaim, reason: str, actor, now=None
) -> PointsClaim:
    """Staff find an objection unfounded: the claim is publicised again until its end date."""
    reason = _check_reason(reason)
    claim = _locked_claim(claim)
    if not rules.can_review(actor, claim.record.activity.community_id):
        raise _forbidden()
    if claim.status != ClaimStatus.OBJECTED:
        raise _bad_state(claim, _("cleared"))
    claim.status = ClaimStatus.PUBLICISED
    claim.save(update_fields=["status"])
    _event(
        f"claim:{claim.pk}",
        "objection_dismissed",
        actor=actor,
        now=now or timezone.now(),
        note=reason,
    )
    return claim


def _earn(record: ServiceRecord, points: int, *, key: str, actor, now):
    activity = record.activity
    try:
        return points_earn(
            holder=record.person,
            amount=points,
            reason=_("Volunteer service: %(title)s (%(hours)s h)")
            % {"title": activity.title, "hours": record.hours},
            source=f"service:{record.pk}",
            idempotency_key=key,
            actor=actor,
            effective_at=now,
        )
    except PointsError as exc:
        raise VolunteeringError(exc.code, exc.message) from None


@transaction.atomic
def points_claim_issue(*, claim: PointsClaim, actor=None, now=None) -> PointsClaim:
    """After publicity: issue the points (key ``svc:<record id>``, so exactly once) and approve
    the record's hours. The sweep calls this for every claim whose publicity has ended."""
    claim = _locked_claim(claim)
    if actor is not None and not rules.can_review(actor, claim.record.activity.community_id):
        raise _forbidden()
    now = now or timezone.now()
    if claim.status != ClaimStatus.PUBLICISED:
        raise _bad_state(claim, _("issued"))
    if claim.publicity_until > now:
        raise VolunteeringError(
            "in_publicity",
            _("The publicity runs until %(until)s.")
            % {"until": timezone.localtime(claim.publicity_until).strftime("%Y-%m-%d %H:%M")},
        )
    record = claim.record
    if claim.points:
        claim.journal = _earn(record, claim.points, key=f"svc:{record.pk}", actor=actor, now=now)
    claim.status = ClaimStatus.ISSUED
    claim.issued_at = now
    claim.save(update_fields=["status", "issued_at", "journal"])
    _set_record_status(record, RecordStatus.APPROVED)
    _event(f"claim:{claim.pk}", "issued", actor=actor, now=now, points=claim.points)
    if claim.points:
        _tell_volunteer(
            record,
            _("%(points)d points have arrived for your service.") % {"points": claim.points},
            link="/points/",
        )
    star_awards_refresh(
        community=record.activity.community, person=record.person, actor=actor, now=now
    )
    return claim


def points_claims_issue_due(*, now=None) -> int:
    """Issue every claim whose publicity has ended, each in its own transaction; a claim that
    another sweep issued meanwhile is skipped. Returns how many were issued."""
    now = now or timezone.now()
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


# Stars --------------------------------------------------------------------------------------


def star_scheme_for(community: Community | int) -> StarScheme:
    community_id = getattr(community, "pk", community)
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


def _person_q(person, prefix: str = "") -> Q:
    if isinstance(person, Partner):
        if person.resident_id:
            return Q(**{f"{prefix}resident_id": person.resident_id})
        return Q(**{f"{prefix}partner_id": person.pk, f"{prefix}resident__isnull": True})
    return Q(**{f"{prefix}resident_id": person.pk})


def approved_minutes(person, community_id: int | None = None) -> int:
    """A person's approved minutes (never points): the basis of stars and certificates."""
    records = ServiceRecord.objects.approved().filter(_person_q(person))
    if community_id is not None:
        records = records.filter(activity__community_id=community_id)
    return records.aggregate(n=Sum("minutes"))["n"] or 0


def _refresh_person(scheme: StarScheme, key: tuple, minutes: int, *, actor, now) -> None:
    resident_id, partner_id = key
    owner = (
        {"resident_id": resident_id}
        if resident_id
        else {"partner_id": partner_id, "resident": None}
    )
    level = scheme.level_for(minutes)
    live = StarAward.objects.filter(scheme=scheme, **owner).exclude(status=StarStatus.WITHDRAWN)
    for award in live.filter(level__gt=level).select_for_update():
        award.status = StarStatus.WITHDRAWN
        award.withdrawn_at = now
        award.save(update_fields=["status", "withdrawn_at"])
        _event(
            f"star:{award.pk}",
            "withdrawn",
            actor=actor,
            now=now,
            level=award.level,
            minutes=minutes,
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
        _event(f"star:{award.pk}", "publicised", actor=actor, now=now, level=level, minutes=minutes)


@transaction.atomic
def star_awards_refresh(*, community: Community | int, person=None, actor=None, now=None) -> dict:
    """Bring star levels in line with approved minutes: a newly reached level is publicised, a
    level no longer reached (a revoked record) withdrawn with an event, and a level whose
    publicity has ended is awarded. ``person`` limits the first two steps to one person."""
    now = now or timezone.now()
    scheme = star_scheme_for(community)
    records = ServiceRecord.objects.approved().filter(activity__community_id=scheme.community_id)
    awards = StarAward.objects.filter(scheme=scheme).exclude(status=StarStatus.WITHDRAWN)
    if person is not None:
        records = records.filter(_person_q(person))
        awards = awards.filter(_person_q(person))
    totals = {
        (row["resident_id"], None if row["resident_id"] else row["partner_id"]): row["n"]
        for row in records.values("resident_id", "partner_id").annotate(n=Sum("minutes"))
    }
    for row in awards.values("resident_id", "partner_id").distinct():
        totals.setdefault(
            (row["resident_id"], None if row["resident_id"] else row["partner_id"]), 0
        )
    lowest = scheme.thresholds[0] * 60 if scheme.thresholds else None
    holders = set(awards.values_list("resident_id", "partner_id"))
    holders = {(r, None if r else p) for r, p in holders}
    for key, minutes in sorted(totals.items(), key=lambda item: (item[0][0] or 0, item[0][1] or 0)):
        if key in holders or (lowest is not None and minutes >= lowest):
            _refresh_person(scheme, key, minutes, actor=actor, now=now)
    awarded = 0
    for award in awards.filter(
        status=StarStatus.PUBLICISED, publicity_until__lte=now
    ).select_for_update():
        award.status = StarStatus.AWARDED
        award.awarded_at = now
        award.save(update_fields=["status", "awarded_at"])
        _event(f"star:{award.pk}", "awarded", actor=actor, now=now, level=award.level)
        awarded += 1
    return {"stars_awarded": awarded}


# Co-building labour (for micro-projects) ----------------------------------------------------


@transaction.atomic
def co_building_record(
    *,
    project_source: str,
    participants: Iterable[Partner | Resident],
    minutes: int,
    organiser: Team | Organisation,
    actor,
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
    recorded = {
        (resident_id, None if resident_id else partner_id)
        for resident_id, partner_id in activity.records.values_list("resident_id", "partner_id")
    }
    for participant in participants:
        person = _person(participant)
        key = (person.pk, None) if isinstance(person, Resident) else (None, person.pk)
        if key in recorded:
            continue
        record = service_record_add(
            activity=activity, participant=participant, minutes=minutes, actor=actor
        )
        service_record_confirm(record=record, actor=actor)
        recorded.add(key)
    return activity

"""Every change to a mediation case: one function per transition.

Each function locks the case row (``flow.locked``), checks permission (``rules.py``) on the
fresh row, then the allowed source states, saves, and appends a ``CaseEvent`` with the acting
user (``core.services.Transitions``); a row that changes no state has ``from_status`` equal to
``to_status``. A refused change raises ``MediationError`` with a stable
code and a translated message, and changes nothing.

open ──session──► mediating ──outcome agreed / partly──► following_up ──last visit──► closed
                      │
                      └──outcome failed (referred to the committee, a department, a court)──► referred
"""

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.models import Profile, UserRole
from gongzhi.accounts.scope import is_community_staff_of, profile_of
from gongzhi.core.services import ServiceError, Transitions, now_or
from gongzhi.core.text import clean_text
from gongzhi.matters import rules as matter_rules
from gongzhi.matters.models import Category, Matter
from gongzhi.mediation import rules
from gongzhi.mediation.models import (
    FOLLOW_UP_DAYS,
    MAX_TEXT_LENGTH,
    MEDIATION_SKILL,
    MEDIATOR_ROLES,
    CaseEvent,
    CaseKind,
    CaseParty,
    CaseSession,
    CaseStatus,
    FollowUp,
    MediationCase,
    Outcome,
    ReferralTarget,
)
from gongzhi.notifications.services import notify_users
from gongzhi.partners.models import Organisation, Partner, PartnerStatus
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound


class MediationError(ServiceError):
    """A refused change to a mediation case (the API answers ``statuses``, else 400)."""

    statuses = {"forbidden": 403, "bad_state": 409, "already_done": 409, "already_open": 409}


flow = Transitions(
    MediationCase,
    CaseEvent,
    "case",
    error=MediationError,
    bad_state=gettext_lazy("A case that is %(status)s cannot be %(verb)s."),
)


def forbidden() -> MediationError:
    return MediationError("forbidden", _("You may not do this for this mediation case."))


def link(case: MediationCase) -> str:
    return reverse("mediation:detail", args=[case.pk])


def mediator_users(case: MediationCase) -> list:
    """The user accounts of the case's mediators."""
    profiles = Profile.objects.filter(partner__in=case.mediators.all()).select_related("user")
    return [profile.user for profile in profiles if profile.user.is_active]


def _title(case: MediationCase, text: str) -> str:
    # Never a party's name or the description: notifications are not confidential.
    return text % {"id": case.pk, "kind": case.get_kind_display()}


def is_qualified_mediator(partner: Partner) -> bool:
    return (
        partner.skills.filter(name=MEDIATION_SKILL).exists()
        or partner.roles.filter(code__in=MEDIATOR_ROLES).exists()
    )


def _check_mediators(community_id: int, mediators: Iterable[Partner]) -> list[Partner]:
    found = list({partner.pk: partner for partner in mediators}.values())
    for partner in found:
        if partner.community_id != community_id or partner.status != PartnerStatus.ACTIVE:
            raise MediationError(
                "invalid_mediator",
                _("%(name)s is not an active partner of this community.") % {"name": partner},
            )
        if not is_qualified_mediator(partner):
            raise MediationError(
                "not_mediator",
                _(
                    "%(name)s cannot mediate: a mediator needs the %(skill)s skill or is a "
                    "community talent, a social-organisation leader or a senior party member."
                )
                % {"name": partner, "skill": MEDIATION_SKILL},
            )
    return found


def _resolve_place(place) -> dict:
    if isinstance(place, Building):
        return {
            "community": place.compound.community,
            "compound": place.compound,
            "building": place,
        }
    if isinstance(place, Compound):
        return {"community": place.community, "compound": place, "building": None}
    if isinstance(place, Community):
        return {"community": place, "compound": None, "building": None}
    raise MediationError(
        "unknown_place", _("Choose the community, compound or building of the dispute.")
    )


@transaction.atomic
def case_open(
    *,
    actor: User,
    kind: str,
    description: str,
    place,
    residents: Iterable[Resident] = (),
    organisations: Iterable[Organisation] = (),
    names: Iterable[str] = (),
    mediators: Iterable[Partner] = (),
    matter: Matter | None = None,
    now=None,
) -> MediationCase:
    """Open a case. The opener is authorised for its details; mediators are notified."""
    columns = _resolve_place(place)
    community = columns["community"]
    if not rules.can_open(actor, community.pk):
        raise forbidden()
    if kind not in CaseKind.values:
        raise MediationError("invalid_kind", _("Choose the kind of dispute."))
    description = clean_text(description or "").strip()
    if not description:
        raise MediationError("description_required", _("Describe the dispute."))
    if len(description) > MAX_TEXT_LENGTH:
        raise MediationError(
            "too_long",
            _("The description may be at most %(n)d characters.") % {"n": MAX_TEXT_LENGTH},
        )
    residents = list({r.pk: r for r in residents}.values())
    organisations = list({o.pk: o for o in organisations}.values())
    names = [clean_text(name).strip()[:80] for name in names if name and clean_text(name).strip()]
    if not (residents or organisations or names):
        raise MediationError("parties_required", _("Name at least one party of the dispute."))
    if any(r.household.unit.building.compound.community_id != community.pk for r in residents):
        raise MediationError("invalid_party", _("A resident party must live in this community."))
    if matter is not None:
        if matter.category != Category.DISPUTES:
            raise MediationError(
                "not_a_dispute", _("Only a matter in the disputes category opens a mediation.")
            )
        if not matter_rules.can_manage(actor, matter) or matter.community_id != community.pk:
            raise forbidden()
        if MediationCase.objects.filter(matter=matter).exists():
            raise MediationError(
                "already_open", _("A mediation case already exists for this matter.")
            )
    mediators = _check_mediators(community.pk, mediators)
    now = now_or(now)
    case = MediationCase.objects.create(
        kind=kind,
        description=description,
        matter=matter,
        created_by=actor,
        opened_at=now,
        **columns,
    )
    CaseParty.objects.bulk_create(
        [CaseParty(case=case, resident=r) for r in residents]
        + [CaseParty(case=case, organisation=o) for o in organisations]
        + [CaseParty(case=case, name=n) for n in names]
    )
    case.mediators.set(mediators)
    opener = profile_of(actor)
    if opener is not None and opener.role == UserRole.COMMUNITY_STAFF:
        case.authorised_staff.add(actor)
    flow.record(
        case, actor=actor, action="open", data={"matter": matter.pk if matter else None}, now=now
    )
    if mediators:
        notify_users(
            users=mediator_users(case),
            kind="mediation_assigned",
            title=_title(case, _("You mediate case #%(id)s (%(kind)s)")),
            link=link(case),
        )
    return case


@transaction.atomic
def case_open_from_matter(*, actor: User, matter: Matter, kind: str = CaseKind.NEIGHBOUR, now=None):
    """The "open a mediation case" button of a dispute matter: its text and reporters become
    the description and the parties."""
    residents = [
        reporter.resident
        for reporter in matter.reporters.select_related(
            "resident__household__unit__building__compound"
        )
        if reporter.resident is not None
    ]
    names = [] if residents else [r.name for r in matter.reporters.all() if r.name]
    return case_open(
        actor=actor,
        kind=kind,
        description=matter.text,
        place=matter.building or matter.compound or matter.community,
        residents=residents,
        names=names or ([] if residents else [matter.reporter_name or _("reporter")]),
        matter=matter,
        now=now,
    )


@transaction.atomic
def case_set_mediators(*, actor: User, case: MediationCase, mediators: Iterable[Partner], now=None):
    case = flow.locked(case)
    if not rules.can_manage(actor, case):
        raise forbidden()
    if not case.is_open:
        raise flow.bad_state(case, _("changed"))
    mediators = _check_mediators(case.community_id, mediators)
    if not mediators:
        raise MediationError("mediators_required", _("Choose at least one mediator."))
    before = set(case.mediators.values_list("pk", flat=True))
    case.mediators.set(mediators)
    flow.record(
        case,
        from_status=case.status,
        actor=actor,
        action="mediators",
        data={"partners": [p.pk for p in mediators]},
        now=now,
    )
    added = [p for p in mediators if p.pk not in before]
    if added:
        users = Profile.objects.filter(partner__in=added).select_related("user")
        notify_users(
            users=[p.user for p in users],
            kind="mediation_assigned",
            title=_title(case, _("You mediate case #%(id)s (%(kind)s)")),
            link=link(case),
        )
    return case


@transaction.atomic
def case_authorise_staff(
    *, actor: User, case: MediationCase, user: User, now=None
) -> MediationCase:
    """Let another staff member of the case's community see its details."""
    case = flow.locked(case)
    if not rules.can_manage(actor, case):
        raise forbidden()
    if not is_community_staff_of(user, case.community_id):
        raise MediationError(
            "invalid_staff", _("Only community staff of this community can be authorised.")
        )
    if case.authorised_staff.filter(pk=user.pk).exists():
        raise MediationError("already_authorised", _("This staff member is already authorised."))
    case.authorised_staff.add(user)
    flow.record(
        case,
        from_status=case.status,
        actor=actor,
        action="authorise",
        data={"user": user.pk},
        now=now,
    )
    return case


@transaction.atomic
def case_add_session(*, actor: User, case: MediationCase, notes: str, held_at=None, now=None):
    case = flow.locked(case)
    if not rules.can_mediate(actor, case):
        raise forbidden()
    notes = clean_text(notes or "").strip()
    if not notes:
        raise MediationError("notes_required", _("Write the notes of the session."))
    if len(notes) > MAX_TEXT_LENGTH:
        raise MediationError(
            "too_long", _("Notes may be at most %(n)d characters.") % {"n": MAX_TEXT_LENGTH}
        )
    now = now_or(now)
    held_at = held_at or now
    if held_at > now + dt.timedelta(minutes=5):
        raise MediationError("future_session", _("A session cannot be recorded in advance."))
    if held_at < case.opened_at - dt.timedelta(days=1):
        raise MediationError("early_session", _("A session cannot be held before the case."))
    if case.status not in (CaseStatus.OPEN, CaseStatus.MEDIATING):
        raise flow.bad_state(case, _("mediated"))
    session = CaseSession.objects.create(
        case=case, held_at=held_at, notes=notes, recorded_by=actor, recorded_at=now
    )
    if case.status == CaseStatus.OPEN:
        flow.move(
            case,
            to=CaseStatus.MEDIATING,
            actor=actor,
            action="session",
            allowed=(CaseStatus.OPEN,),
            verb=_("mediated"),
            now=now,
            data={"session": session.pk},
        )
    else:
        flow.record(
            case,
            from_status=case.status,
            actor=actor,
            action="session",
            data={"session": session.pk},
            now=now,
        )
    return session


@transaction.atomic
def case_record_outcome(
    *,
    actor: User,
    case: MediationCase,
    outcome: str,
    agreement_text: str = "",
    referred_to: str = "",
    referral_note: str = "",
    now=None,
) -> MediationCase:
    """Agreed or partly: the agreement text is required and follow-up visits are scheduled at
    +7 and +30 days. Failed: the case is referred to the committee, a department or a court."""
    case = flow.locked(case)
    if not rules.can_mediate(actor, case):
        raise forbidden()
    if outcome not in Outcome.values:
        raise MediationError(
            "invalid_outcome", _("Choose agreement reached, partly agreed or failed.")
        )
    if case.status != CaseStatus.MEDIATING:
        if case.status == CaseStatus.OPEN:
            raise MediationError(
                "bad_state", _("Record at least one mediation session before the outcome.")
            )
        raise flow.bad_state(case, _("concluded"))
    agreement_text = clean_text(agreement_text or "").strip()
    now = now_or(now)
    case.outcome, case.outcome_at = outcome, now
    if outcome in (Outcome.AGREED, Outcome.PARTLY):
        if not agreement_text:
            raise MediationError("agreement_required", _("Write the text of the agreement."))
        if len(agreement_text) > MAX_TEXT_LENGTH:
            raise MediationError(
                "too_long",
                _("The agreement may be at most %(n)d characters.") % {"n": MAX_TEXT_LENGTH},
            )
        case.agreement_text = agreement_text
        flow.move(
            case,
            to=CaseStatus.FOLLOWING_UP,
            actor=actor,
            action="outcome",
            allowed=(CaseStatus.MEDIATING,),
            verb=_("concluded"),
            now=now,
            data={"outcome": outcome},
            fields=["outcome", "outcome_at", "agreement_text"],
        )
        today = timezone.localdate(now)
        FollowUp.objects.bulk_create(
            [
                FollowUp(case=case, after_days=days, due_on=today + dt.timedelta(days=days))
                for days in FOLLOW_UP_DAYS
            ]
        )
        return case
    if referred_to not in ReferralTarget.values:
        raise MediationError(
            "referral_required",
            _(
                "Say where the failed case goes: the people's mediation committee, "
                "a department or a court."
            ),
        )
    case.referred_to, case.referral_note = (
        referred_to,
        clean_text(referral_note or "").strip()[:200],
    )
    case.agreement_text = agreement_text[:MAX_TEXT_LENGTH]
    case.closed_at = now
    return flow.move(
        case,
        to=CaseStatus.REFERRED,
        actor=actor,
        action="outcome",
        allowed=(CaseStatus.MEDIATING,),
        verb=_("concluded"),
        now=now,
        data={"outcome": outcome, "referred_to": referred_to},
        fields=[
            "outcome",
            "outcome_at",
            "referred_to",
            "referral_note",
            "agreement_text",
            "closed_at",
        ],
    )


@transaction.atomic
def case_record_follow_up(
    *, actor: User, case: MediationCase, follow_up: FollowUp, held, notes: str = "", now=None
) -> FollowUp:
    """Record a follow-up visit; the case closes after its last visit."""
    case = flow.locked(case)
    if not rules.can_mediate(actor, case):
        raise forbidden()
    locked = FollowUp.objects.select_for_update().filter(pk=follow_up.pk, case=case).first()
    if locked is None:
        raise MediationError("invalid_follow_up", _("This visit does not belong to the case."))
    follow_up = locked
    if case.status != CaseStatus.FOLLOWING_UP:
        raise flow.bad_state(case, _("visited"))
    if follow_up.is_done:
        raise MediationError("already_done", _("This follow-up visit is already recorded."))
    if held not in (True, False):
        raise MediationError("held_required", _("Say whether the agreement held."))
    now = now_or(now)
    follow_up.done_at, follow_up.held, follow_up.done_by = now, held, actor
    follow_up.notes = clean_text(notes or "").strip()[:MAX_TEXT_LENGTH]
    follow_up.save(update_fields=["done_at", "held", "done_by", "notes"])
    data = {"follow_up": follow_up.pk, "after_days": follow_up.after_days, "held": held}
    if case.follow_ups.filter(done_at__isnull=True).exists():
        flow.record(
            case, from_status=case.status, actor=actor, action="follow_up", data=data, now=now
        )
        return follow_up
    case.closed_at = now
    flow.move(
        case,
        to=CaseStatus.CLOSED,
        actor=actor,
        action="follow_up",
        allowed=(CaseStatus.FOLLOWING_UP,),
        verb=_("visited"),
        now=now,
        data=data,
        fields=["closed_at"],
    )
    return follow_up


def only_qualified_mediators(qs):
    """Of a partner queryset, those who may mediate (the mediator picker's filter)."""
    qualified = Partner.objects.filter(
        Q(skills__name=MEDIATION_SKILL) | Q(roles__code__in=MEDIATOR_ROLES)
    )
    return qs.filter(pk__in=qualified.values("pk"))

"""Writes of visits and the care register. Views, the API and the commands all call these."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import registry_reach, restrict
from gongzhi.core.services import ServiceError
from gongzhi.core.text import clean_text
from gongzhi.maps.models import Spot
from gongzhi.matters.models import Channel
from gongzhi.matters.rules import role
from gongzhi.matters.services import MatterError, matter_submit, resolve_place, validate_photo
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Household
from gongzhi.visits import rules
from gongzhi.visits.models import (
    MAX_FOUND_LENGTH,
    MAX_FREQUENCY_DAYS,
    CareReason,
    CareSubject,
    Visit,
    VisitKind,
)


class VisitError(ServiceError):
    """A refused write (``core.services.ServiceError``): 403 ``forbidden``, 409
    ``already_registered``, 400 the rest."""

    statuses = {"already_registered": 409}


def _forbidden() -> VisitError:
    return VisitError("forbidden", _("You may not do this."))


def _clean_found(text: str) -> str:
    text = clean_text(text or "").strip()
    if not text:
        raise VisitError("invalid_found", _("Please say what you found."))
    if len(text) > MAX_FOUND_LENGTH:
        raise VisitError(
            "invalid_found",
            _("The text is too long: at most %(max)d characters.") % {"max": MAX_FOUND_LENGTH},
        )
    return text


def visit_channel(user) -> str:
    """A building leader's visit raises a building_visit matter, everyone else's a grid_visit."""
    return Channel.BUILDING_VISIT if role(user) == UserRole.PARTNER else Channel.GRID_VISIT


def invalid_target() -> VisitError:
    return VisitError(
        "invalid_target", _("Choose one place for the visit: a household, building or area.")
    )


def outside_reach(target: str) -> VisitError:
    """The refusal of a place outside the visiting reach (or unknown: the same words, so that
    the answer does not tell which ids exist)."""
    if target == "building":
        return VisitError("outside_reach", _("This building is outside the area you visit."))
    if target == "spot":
        return VisitError("outside_reach", _("This public area is outside the area you visit."))
    return VisitError("outside_reach", _("This household is outside the area you visit."))


def _check_target(actor, household, building, spot) -> None:
    """Exactly one place, inside the visitor's reach (the database checks the first too)."""
    if sum(t is not None for t in (household, building, spot)) > 1:
        raise invalid_target()
    if building is not None:
        if not rules.visit_buildings(actor).filter(pk=building.pk).exists():
            raise outside_reach("building")
    elif spot is not None:
        if not rules.visit_spots(actor).filter(pk=spot.pk).exists():
            raise outside_reach("spot")
    elif household is None or not rules.visit_households(actor).filter(pk=household.pk).exists():
        raise outside_reach("household")


def _matter_place(household, building, spot) -> dict:
    """The matter raised sits at the household, the building, or the spot's compound (the
    community for a spot between compounds): matters have no spot column."""
    if spot is not None:
        return resolve_place(community=spot.community, compound=spot.compound)
    return resolve_place(household=household, building=building)


@transaction.atomic
def visit_record(
    *,
    actor,
    household: Household | None = None,
    building: Building | None = None,
    spot: Spot | None = None,
    kind: str,
    found: str,
    photo=None,
    raise_matter: bool = False,
    matter_text: str = "",
    client_key: str = "",
    now: dt.datetime | None = None,
) -> Visit:
    """Record a visit at one household, building or public spot and, with ``raise_matter``,
    submit the problem found as a matter linked to it, all or nothing: a refused matter leaves
    no visit either.

    A care visit brings every active care subject of the household up to date. A retried send
    with the same ``client_key`` returns the first visit.
    """
    if not rules.can_visit(actor):
        raise _forbidden()
    client_key = (client_key or "")[:80]
    if client_key:
        existing = Visit.objects.filter(visitor=actor, client_key=client_key).first()
        if existing is not None:
            return existing
    if kind not in VisitKind.values:
        raise VisitError("invalid_kind", _("Choose the kind of visit."))
    _check_target(actor, household, building, spot)
    found = _clean_found(found)
    if photo:
        try:
            validate_photo(photo)
        except ValidationError as exc:
            raise VisitError("invalid_photo", exc.messages[0]) from exc
    now = now or timezone.now()
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                household=household,
                building=building,
                spot=spot,
                visitor=actor,
                kind=kind,
                found=found,
                visited_at=now,
                photo=photo or "",
                client_key=client_key,
            )
    except IntegrityError:
        # Two sends of the same form at once: the other one won.
        return Visit.objects.get(visitor=actor, client_key=client_key)
    if raise_matter:
        try:
            visit.matter = matter_submit(
                actor=actor,
                text=matter_text,
                channel=visit_channel(actor),
                place=_matter_place(household, building, spot),
                now=now,
            )
        except MatterError as exc:
            # Raising undoes the visit too (the whole function is one transaction).
            raise VisitError(exc.code, exc.message) from exc
        visit.save(update_fields=["matter"])
    if kind == VisitKind.CARE and household is not None:
        day = timezone.localdate(now)
        for subject in CareSubject.objects.active().filter(resident__household=household):
            _mark_visited(subject, day)
    return visit


def _mark_visited(subject: CareSubject, day: dt.date) -> None:
    if subject.last_visited_on and subject.last_visited_on >= day:
        return
    subject.last_visited_on = day
    subject.next_due_on = day + dt.timedelta(days=subject.frequency_days)
    subject.save(update_fields=["last_visited_on", "next_due_on"])


# ---- the care register -------------------------------------------------------------------


def _check_reason(reason: str) -> str:
    if reason not in CareReason.values:
        raise VisitError("invalid_reason", _("Choose a reason from the list."))
    return reason


def _check_frequency(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if not 0 < days <= MAX_FREQUENCY_DAYS:
        raise VisitError(
            "invalid_frequency",
            _("The visiting frequency must be between 1 and %(max)d days.")
            % {"max": MAX_FREQUENCY_DAYS},
        )
    return days


def _check_visitors(resident: Resident, visitors) -> list:
    visitors = list({user.pk: user for user in visitors}.values())
    if not visitors:
        raise VisitError("invalid_visitors", _("Name at least one visitor."))
    for user in visitors:
        if not rules.visit_households(user).filter(pk=resident.household_id).exists():
            raise VisitError(
                "invalid_visitors",
                _("%(name)s does not visit this household's area.")
                % {"name": user.get_full_name() or _("A visitor")},
            )
    return visitors


def _check_manager(actor, resident: Resident) -> None:
    reachable = restrict(Resident.objects.filter(pk=resident.pk), registry_reach(actor))
    if not rules.can_manage_care(actor) or not reachable.exists():
        raise _forbidden()


def _next_due(subject: CareSubject) -> dt.date:
    if subject.last_visited_on is None:
        return subject.registered_on
    return subject.last_visited_on + dt.timedelta(days=subject.frequency_days)


@transaction.atomic
def care_subject_create(
    *,
    actor,
    resident: Resident,
    reason: str,
    frequency_days: int,
    visitors,
    note: str = "",
    today: dt.date | None = None,
) -> CareSubject:
    """Put a resident on the care register; the first visit is due at once."""
    _check_manager(actor, resident)
    reason = _check_reason(reason)
    frequency_days = _check_frequency(frequency_days)
    visitors = _check_visitors(resident, visitors)
    if CareSubject.objects.filter(resident=resident).exists():
        raise VisitError("already_registered", _("This person is already on the care register."))
    today = today or timezone.localdate()
    subject = CareSubject.objects.create(
        resident=resident,
        reason=reason,
        frequency_days=frequency_days,
        note=clean_text(note or "").strip()[:200],
        registered_on=today,
        next_due_on=today,
    )
    subject.visitors.set(visitors)
    return subject


@transaction.atomic
def care_subject_update(
    *,
    actor,
    subject: CareSubject,
    reason: str | None = None,
    frequency_days: int | None = None,
    visitors=None,
    note: str | None = None,
    active: bool | None = None,
) -> CareSubject:
    """Change what is given; a new frequency moves the next due day from the last visit."""
    subject = CareSubject.objects.select_for_update().get(pk=subject.pk)
    _check_manager(actor, subject.resident)
    fields = []
    if reason is not None:
        subject.reason = _check_reason(reason)
        fields.append("reason")
    if frequency_days is not None:
        subject.frequency_days = _check_frequency(frequency_days)
        subject.next_due_on = _next_due(subject)
        fields += ["frequency_days", "next_due_on"]
    if visitors is not None:
        subject.visitors.set(_check_visitors(subject.resident, visitors))
    if note is not None:
        subject.note = clean_text(note).strip()[:200]
        fields.append("note")
    if active is not None:
        subject.active = active
        fields.append("active")
    if fields:
        subject.save(update_fields=fields)
    return subject

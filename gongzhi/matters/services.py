"""Every write to a matter: one function per transition (see docs/matters.md).

Each transition follows ``core.services``' order: ``flow.locked`` (the fresh row, locked),
then permission on that row (``rules``), then the state (``flow.move`` refuses a matter that is
not in ``SOURCES[action]``), then the save and one ``MatterEvent`` — all in one transaction.
Refusals are ``MatterError`` (``matters.errors``) with a stable ``code`` and a translated
message, raised before anything is written. Messages go through the notifications outbox (rows
in the same transaction) or ``after_commit``; nothing leaves the database before the commit.
Matters never import meetings: ``matter_deliberate`` sends ``signals.matter_deliberating``.
"""

import contextlib
import datetime as dt
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.models import Profile, UserRole
from gongzhi.core import rawsql
from gongzhi.core.services import Transitions, acting_user, after_commit, now_or
from gongzhi.core.text import clean_text
from gongzhi.matters import deadlines, routing, rules
from gongzhi.matters.errors import MatterError
from gongzhi.matters.models import (
    MAX_TEXT_LENGTH,
    OWNER_FIELDS,
    SOURCES,
    Category,
    Channel,
    ClassificationCorrection,
    Matter,
    MatterEvent,
    MatterOwner,
    MatterPhoto,
    MatterReporter,
    Priority,
    Satisfaction,
    Status,
    SubmitKey,
    Tier,
    WorkingMode,
    owner_label,
)
from gongzhi.matters.place import resolve_place
from gongzhi.matters.signals import matter_deliberating
from gongzhi.notifications.services import notify_contact, notify_users
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.people.models import Resident
from gongzhi.places.models import Household

__all__ = ["MatterError", "resolve_place"]  # re-exported: other apps import them from here

PHOTO_MAX_BYTES = 5 * 1024 * 1024

#: Every state change of a matter: locked row, state check, one ``MatterEvent``.
flow = Transitions(
    Matter,
    MatterEvent,
    "matter",
    error=MatterError,
    bad_state=gettext_lazy("A matter that is “%(status)s” cannot be %(verb)s."),
)


def _forbidden() -> MatterError:
    return MatterError("forbidden", _("You may not do this with this matter."))


# ---- people to tell -------------------------------------------------------------------------


def reporter_users(matter: Matter):
    resident_ids = matter.reporters.exclude(resident=None).values("resident_id")
    return get_user_model().objects.filter(
        profile__role=UserRole.RESIDENT, profile__resident_id__in=resident_ids
    )


def owner_users(matter: Matter):
    """The accounts of the active owners: user owners, partners and the members of teams."""
    owners = matter.owners.filter(active=True)
    partner_ids = set(owners.exclude(partner=None).values_list("partner_id", flat=True))
    partner_ids |= set(
        Partner.objects.filter(memberships__team__in=owners.exclude(team=None).values("team"))
        .filter(profile__isnull=False)
        .values_list("pk", flat=True)
    )
    return get_user_model().objects.filter(
        Q(profile__partner_id__in=partner_ids) | Q(pk__in=owners.exclude(user=None).values("user"))
    )


def supervisor_users(matter: Matter, *, level: int = 0):
    """Level 0: the community's staff; level 1 and above: the subdistrict's officials."""
    if level <= 0:
        profiles = Profile.objects.filter(
            role=UserRole.COMMUNITY_STAFF, community=matter.community_id
        )
    else:
        profiles = Profile.objects.filter(
            role=UserRole.SUBDISTRICT_OFFICIAL, subdistrict=matter.community.subdistrict_id
        )
    return get_user_model().objects.filter(profile__in=profiles)


def matter_link(matter: Matter) -> str:
    return f"/matters/{matter.pk}/"


def _tell_reporters(matter: Matter, *, kind: str, title: str) -> None:
    notify_users(users=reporter_users(matter), kind=kind, title=title, link=matter_link(matter))
    if matter.reporter is None and matter.reporter_contact:
        notify_contact(contact=matter.reporter_contact, title=title)


def _ask_for_feedback(matter: Matter) -> None:
    _tell_reporters(
        matter,
        kind="matter_done",
        title=_("Your matter is done, please tell us if you are satisfied: %(text)s")
        % {"text": matter.text[:30]},
    )


# ---- intake ---------------------------------------------------------------------------------


def check_text(text: str) -> str:
    """A matter's description: control characters dropped (``core.text.clean_text``, for the
    callers that do not clean at the door), stripped, not empty, not too long."""
    text = clean_text(text or "").strip()
    if not text:
        raise MatterError("invalid_text", _("Please describe the matter."))
    if len(text) > MAX_TEXT_LENGTH:
        raise MatterError(
            "invalid_text",
            _("The description is too long: at most %(max)d characters.")
            % {"max": MAX_TEXT_LENGTH},
        )
    return text


def suggest(text: str):
    from gongzhi.matters.classifier import load

    return load().predict([text])[0]


def matter_submit(
    *,
    actor: User | None,
    text: str,
    channel: str,
    place: dict,
    reporter: Resident | None = None,
    reporter_name: str = "",
    reporter_contact: str = "",
    category: str | None = None,
    tier: str | None = None,
    priority: str = "normal",
    handled_on_spot: bool = False,
    resolution_note: str = "",
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> Matter:
    """Take in a matter. ``place`` comes from ``resolve_place``.

    Residents submit for themselves (reporter forced to their own record, place within their
    community); staff, grid workers and partners may submit for a resident or anonymously. With
    an ``idempotency_key`` a retried submit returns the first matter instead of a second one.

    ``handled_on_spot`` (当场办结): a grid worker or community staff member records a small
    matter they already handled, with ``resolution_note`` saying what was done. See
    ``_handle_on_spot``; every refusal is raised before anything is written.
    """
    # actor=None: an anonymous scan-to-report whose phone matters.scan verified by SMS code.
    if actor is not None and not rules.can_submit(actor):
        raise _forbidden()
    if idempotency_key and actor is None:
        raise ValueError("an idempotency key is a signed-in submitter's")
    key = idempotency_key[:80] if idempotency_key and actor is not None else None
    # No look-up of the key before the insert: the key's unique index decides (see below), so
    # a first attempt — nearly every submit — reads nothing for it. A retry whose submit would
    # now be refused (its actor's role or area changed since) still answers with its matter.
    try:
        text = check_text(text)
        if channel not in _CHANNELS:  # the choices of ``Matter.channel``
            raise MatterError("invalid_channel", _("Unknown channel."))
        if actor is not None:
            _check_place_for(actor, place)
        if handled_on_spot:
            resolution_note = _check_on_spot(actor, place, resolution_note)
        if actor is not None:
            _check_submit_area(actor, place)
            _check_fields(actor, channel=channel, category=category, tier=tier, priority=priority)
        if priority not in _PRIORITIES:
            raise MatterError("invalid_priority", _("Choose normal or urgent priority."))
        if actor is not None and rules.role(actor) == UserRole.RESIDENT:
            reporter = actor.profile.resident
        suggestion = suggest(text)
        now = now_or(now)
        matter = Matter(
            text=text,
            channel=channel,
            reporter=reporter,
            reporter_name=(reporter.name if reporter else reporter_name)[:40],
            reporter_contact=reporter_contact,
            entered_by=actor,
            category=category or suggestion.category,
            tier=tier or suggestion.tier,
            suggested_category=suggestion.category,
            suggested_tier=suggestion.tier,
            suggestion_confidence=suggestion.confidence,
            priority=priority,
            created_at=now,
            **place,
        )
        if matter.category not in _CATEGORIES or matter.tier not in _TIERS:
            raise MatterError("invalid_classification", _("Unknown category or tier."))
        if handled_on_spot and matter.tier != Tier.SMALL:
            raise MatterError(
                "not_small",
                _(
                    "Only a small matter can be handled on the spot; submit this one for assignment."
                ),
            )
    except MatterError:
        replayed = _matter_of_key(actor, key)
        if replayed is None:
            raise
        return replayed
    # The rule and the deadline policy in one statement (both as the database has them now).
    rule, policy = rawsql.firsts(
        [
            routing.rule_read(matter),
            deadlines.policy_read(
                community_id=matter.community_id, tier=matter.tier, category=matter.category
            ),
        ]
    )
    matter.ack_due_at, matter.due_at = deadlines.due(policy, tier=matter.tier, start=now)
    route_data = {}
    if handled_on_spot:
        rule = None
    else:
        # The route step (``matter_route``) decided before the insert: the working mode is
        # saved with the matter, and its event is written with the submit's in one statement.
        route_data = _route_step(matter, rule)
    # Everything above only reads (and the classifier only computes), and the rows' values are
    # prepared before the transaction too: it holds just the statements, so a writer waits on
    # SQLite's one write lock for as short as can be.
    # The key is inserted last, in the submit's own transaction (no savepoint): when the key
    # was stored before — a retry of a submit that was taken, or a concurrent retry that got
    # there first — the unique index refuses ours, the whole transaction (our matter with it)
    # rolls back, and the first attempt's matter is read here.
    rows = _submit_rows(
        matter,
        actor=actor,
        reporter=reporter,
        channel=channel,
        route_data=route_data,
        handled_on_spot=handled_on_spot,
        key=key,
        now=now,
    )
    # On PostgreSQL the rows are one statement (``rawsql.Inserts.single``), atomic by itself:
    # when nothing else is written after them (no on-the-spot handling, no automatic
    # assignment; the staff's message goes through the outbox after the commit anyway) and no
    # transaction is open, they need no BEGIN and COMMIT of their own, two round trips less.
    alone = (
        rows.single is not None
        and not handled_on_spot
        and (rule is None or not rule.auto_assign)
        and not transaction.get_connection().in_atomic_block
    )
    try:
        with contextlib.nullcontext() if alone else transaction.atomic():
            rows.run()
            return _after_rows(
                matter,
                actor=actor,
                rule=rule,
                handled_on_spot=handled_on_spot,
                resolution_note=resolution_note,
                now=now,
            )
    except IntegrityError:
        replayed = _matter_of_key(actor, key)
        if replayed is None:
            raise
        return replayed


#: The choices a submit checks its values against, as sets (``Choices.values`` builds a new
#: list at every use).
_CHANNELS = frozenset(Channel.values)
_PRIORITIES = frozenset(Priority.values)
_CATEGORIES = frozenset(Category.values)
_TIERS = frozenset(Tier.values)


def _matter_of_key(actor: User | None, key: str | None) -> Matter | None:
    """The matter an earlier submit of ``actor`` stored under the idempotency ``key``."""
    if key is None or actor is None:
        return None
    stored = SubmitKey.objects.select_related("matter").filter(user=actor, key=key).first()
    return stored.matter if stored is not None else None


def _submit_rows(
    matter: Matter,
    *,
    actor: User | None,
    reporter: Resident | None,
    channel: str,
    route_data: dict,
    handled_on_spot: bool,
    key: str | None,
    now: dt.datetime,
) -> rawsql.Inserts:
    """The rows of a checked submit: the matter (routed), its reporter, the submit and route
    events, the idempotency key — one insert per table, each statement written once and its
    values prepared here, before the transaction (``core.rawsql.Inserts``: the write lock is
    then held for the statements alone); no signal listens to these models."""
    events = [_event(matter, actor=actor, action="submit", now=now, data={"channel": channel})]
    if not handled_on_spot:
        events.append(_event(matter, actor=actor, action="route", now=now, data=route_data))
    reporter_row = MatterReporter(
        matter=matter, resident=reporter, name=matter.reporter_name or _("anonymous")
    )
    groups: list[Sequence] = [[matter], [reporter_row], events]
    if key is not None and actor is not None:
        # Inserted last: a key stored before (a retry, or a concurrent retry that got there
        # first) makes this insert fail, the transaction rolls back entirely and
        # ``matter_submit`` answers with the first attempt's matter.
        groups.append([SubmitKey(user=actor, key=key, matter=matter)])
    return rawsql.Inserts(groups)


def _after_rows(
    matter: Matter,
    *,
    actor: User | None,
    rule,
    handled_on_spot: bool,
    resolution_note: str,
    now: dt.datetime,
) -> Matter:
    """What follows a submit's rows in its transaction: the on-the-spot handling, the staff's
    message or the rule's automatic assignment."""
    if handled_on_spot:
        assert actor is not None  # ``_check_on_spot`` refused anyone else
        return _handle_on_spot(actor=actor, matter=matter, note=resolution_note, now=now)
    if actor is None or rules.role(actor) == UserRole.RESIDENT:
        _tell_staff_new(matter)
    if rule is None or not rule.auto_assign:
        return matter
    return _auto_assign(actor=actor, matter=matter, rule=rule, now=now)


def _event(
    matter: Matter, *, actor: User | None, action: str, now: dt.datetime, data: dict
) -> MatterEvent:
    """An unsaved history row as ``flow.record`` writes it, for a bulk insert."""
    return MatterEvent(
        matter=matter,
        at=now,
        actor=acting_user(actor),
        action=action,
        from_status="",
        to_status=matter.status,
        note="",
        data=data,
    )


def _tell_staff_new(matter: Matter) -> None:
    """A resident's own report waits for the community's staff to triage it: tell them once the
    matter is committed (a rolled-back submit must not leave a message behind)."""
    title = _("New matter reported by a resident: %(text)s") % {"text": matter.text[:30]}
    after_commit(
        lambda: notify_users(
            users=supervisor_users(matter, level=0),
            kind="matter_new",
            title=title,
            link=matter_link(matter),
        )
    )


def _check_on_spot(actor: User | None, place: dict, note: str) -> str:
    """Refuse an on-the-spot claim that may not be made; the cleaned note otherwise.

    Only grid workers and community staff handle matters on the spot (they become the owner on
    record); a grid worker only at a building of their own grid, since that is where they walk.
    """
    if actor is None or not rules.can_handle_on_spot(actor):
        raise MatterError(
            "forbidden", _("Only grid workers and community staff handle matters on the spot.")
        )
    role = rules.role(actor)
    if role == UserRole.GRID_WORKER and (
        place["building"] is None or place["building"].grid_id != actor.profile.grid_id
    ):
        raise MatterError(
            "unknown_place",
            _("You can handle matters on the spot only at a building of your own grid."),
        )
    if not user_serves_community(actor, place["community"].pk):
        raise MatterError("unknown_place", _("This place is outside your area."))
    note = (note or "").strip()
    if not note:
        raise MatterError("resolution_required", _("Say what was done on the spot."))
    return note[:1000]


def _handle_on_spot(*, actor: User, matter: Matter, note: str, now: dt.datetime) -> Matter:
    """The second half of an on-the-spot submit: the actor owns the matter and it is done.

    Done waits for the reporters' feedback, as after any completion. When nobody can be asked
    (no reporter with an account and no contact phone), the feedback window could never bring
    an answer, so the matter is closed unrated at once instead of waiting for staff to do it
    after the window (``matter_close_unrated``).
    """
    MatterOwner.objects.create(matter=matter, user=actor, assigned_at=now)
    matter.acknowledged_at = matter.assigned_at = matter.done_at = now
    matter.working_mode = WorkingMode.COOPERATE
    flow.move(
        matter,
        to=Status.DONE,
        actor=actor,
        action="handle_on_spot",
        allowed=SOURCES["handle_on_spot"],
        verb=_("handled on the spot"),
        now=now,
        note=note,
        data={"owner": owner_label(actor)},
        fields=["acknowledged_at", "assigned_at", "done_at", "working_mode"],
    )
    if _can_ask_feedback(matter):
        _ask_for_feedback(matter)
        return matter
    return _close_unrated(matter, actor=actor, now=now, data={"reason": "nobody_to_ask"})


def _close_unrated(matter: Matter, *, actor: User, now: dt.datetime, data=None) -> Matter:
    """The ``close_unrated`` transition of a locked, done matter."""
    matter.closed_at = now
    return flow.move(
        matter,
        to=Status.CLOSED,
        actor=actor,
        action="close_unrated",
        allowed=SOURCES["close_unrated"],
        verb=_("closed"),
        now=now,
        data=data,
        fields=["closed_at"],
    )


def _can_ask_feedback(matter: Matter) -> bool:
    """Whether a reporter can be asked for feedback (``_tell_reporters`` reaches them): a
    reporter's account, or the contact phone of an unregistered reporter."""
    if matter.reporter is None and matter.reporter_contact:
        return True
    return reporter_users(matter).exists()


def _check_submit_area(actor: User, place: dict) -> None:
    """Refuse, before anything is written, a place the submitter could not follow the matter
    at: a grid worker outside their grid, a partner away from their own place (403)."""
    refusal = rules.submit_area_refusal(actor, place)
    if refusal == "grid":
        raise MatterError(
            "not_in_scope",
            _("You can report matters only in your own grid: at its buildings and households."),
        )
    if refusal == "partner":
        raise MatterError(
            "not_in_scope", _("You can report matters only at the place you serve as a partner.")
        )


def _field_label(name: str) -> str:
    field = Matter._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, Field) else name


def _check_fields(actor: User, **fields) -> None:
    """Refuse the fields this role may not set (``rules.fields_not_allowed``), naming them."""
    refused = rules.fields_not_allowed(actor, **fields)
    if refused:
        names = _(", ").join(_field_label(name) for name in refused)
        raise MatterError(
            "field_not_allowed",
            _("You may not set these fields of a matter: %(fields)s. Leave them out.")
            % {"fields": names},
        )


def _check_place_for(actor: User, place: dict) -> None:
    """The place must lie inside what the actor may act on."""
    role = rules.role(actor)
    if role == "superuser":
        return
    profile = actor.profile
    if role == UserRole.RESIDENT:
        # Any building or public spot of their own community, and their own household, never
        # another's: a resident sees problems wherever they walk, but not behind other doors.
        resident = profile.resident
        assert resident is not None  # a resident's profile names their record (a constraint)
        # The household with the places above it in one query (a submit reads it every time).
        household = Household.objects.select_related("unit__building__compound").get(
            pk=resident.household_id
        )
        community_id = household.unit.building.compound.community_id
        if place["community"].pk != community_id or place["household"] not in (None, household):
            raise MatterError(
                "unknown_place", _("Residents report matters of their own community.")
            )
        return
    if role == UserRole.SUBDISTRICT_OFFICIAL:
        if place["community"].subdistrict_id != profile.subdistrict_id:
            raise MatterError("unknown_place", _("This place is outside your area."))
        return
    if place["community"].pk != profile.community_id_resolved:
        raise MatterError("unknown_place", _("This place is outside your area."))


# ---- classification and routing -------------------------------------------------------------


@transaction.atomic
def matter_classify(*, actor: User, matter: Matter, category: str, tier: str) -> Matter:
    """Staff confirm or correct the suggestion; the correction is kept for retraining."""
    matter = flow.locked(matter)
    if not rules.can_manage(actor, matter):
        raise _forbidden()
    if not matter.is_open:
        raise flow.bad_state(matter, _("reclassified"))
    if category not in Category.values or tier not in Tier.values:
        raise MatterError("invalid_classification", _("Unknown category or tier."))
    old = {"category": matter.category, "tier": matter.tier}
    matter.category, matter.tier, matter.classification_confirmed = category, tier, True
    start = matter.created_at
    matter.ack_due_at, matter.due_at = deadlines.compute(matter, start=start)
    matter.save(
        update_fields=["category", "tier", "classification_confirmed", "ack_due_at", "due_at"]
    )
    ClassificationCorrection.objects.update_or_create(
        matter=matter,
        defaults={
            "text": matter.text,
            "suggested_category": matter.suggested_category,
            "suggested_tier": matter.suggested_tier,
            "category": category,
            "tier": tier,
            "by": actor,
        },
    )
    flow.record(
        matter,
        actor=actor,
        action="classify",
        data={"from": old, "to": {"category": category, "tier": tier}},
    )
    return matter


@transaction.atomic
def matter_acknowledge(*, actor: User, matter: Matter, note: str = "", now=None) -> Matter:
    matter = flow.locked(matter)
    if not rules.can_acknowledge(actor, matter):
        raise _forbidden()
    matter.acknowledged_at = now_or(now)
    return flow.move(
        matter,
        to=Status.ACKNOWLEDGED,
        actor=actor,
        action="acknowledge",
        allowed=SOURCES["acknowledge"],
        verb=_("acknowledged"),
        now=now,
        note=note,
        fields=["acknowledged_at"],
    )


# A user owner is an account: a grid worker or community staff member.
Owner = Partner | Team | Organisation | AbstractBaseUser


def _owner_kwargs(owner: Owner) -> dict:
    if isinstance(owner, Partner):
        return {"partner": owner}
    if isinstance(owner, Team):
        return {"team": owner}
    if isinstance(owner, Organisation):
        return {"organisation": owner}
    if isinstance(owner, get_user_model()):
        return {"user": owner}
    raise MatterError(
        "invalid_owner",
        _("An owner is a partner, a team, an organisation, a grid worker or community staff."),
    )


def user_serves_community(user: User, community_id: int) -> bool:
    """Whether the account may own a matter of the community: its staff (community- or
    compound-wide) or a grid worker whose grid lies in it."""
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    if profile is None or not user.is_active:
        return False
    if profile.role == UserRole.GRID_WORKER:
        return profile.grid_id is not None and profile.grid.community_id == community_id
    return (
        profile.role == UserRole.COMMUNITY_STAFF and profile.community_id_resolved == community_id
    )


def _check_owner_in_community(matter: Matter, owner: Owner) -> None:
    if isinstance(owner, get_user_model()):
        if not user_serves_community(owner, matter.community_id):
            raise MatterError(
                "invalid_owner",
                _("%(owner)s does not work in this community.") % {"owner": owner_label(owner)},
            )
        return
    community_id = getattr(owner, "community_id", None)
    if isinstance(owner, Organisation) and community_id is None:
        if owner.subdistrict_id == matter.community.subdistrict_id:
            return
    if community_id != matter.community_id:
        raise MatterError(
            "invalid_owner", _("%(owner)s does not serve this community.") % {"owner": owner}
        )


@transaction.atomic
def matter_assign(
    *,
    actor: User | None,
    matter: Matter,
    owners: Sequence[Owner],
    whistle: Sequence[Organisation] = (),
    whistle_hours: int = 72,
    working_mode: str = "",
    note: str = "",
    by_rule: bool = False,
    now=None,
) -> Matter:
    """Give the matter to owners. Replacing the owners of an assigned matter is a bounce.

    ``by_rule``: a responsibility rule that staff set to auto-assign authorises the assignment
    (``matter_route``), so the actor, who may be the resident who submitted, needs no right.
    """
    matter = flow.locked(matter)
    if not (by_rule or (actor is not None and rules.can_manage(actor, matter))):
        raise _forbidden()
    if not owners and not whistle:
        raise MatterError("invalid_owner", _("Choose at least one owner."))
    allowed = SOURCES["assign"]
    if matter.status not in allowed:
        raise flow.bad_state(matter, _("assigned"))
    for owner in [*owners, *whistle]:
        _check_owner_in_community(matter, owner)
    now = now_or(now)
    previous = set(matter.owners.filter(active=True).values_list(*OWNER_FIELDS))
    matter.owners.filter(active=True).update(active=False)
    for owner in owners:
        MatterOwner.objects.create(matter=matter, assigned_at=now, **_owner_kwargs(owner))
    for org in whistle:
        MatterOwner.objects.create(
            matter=matter,
            organisation=org,
            is_whistle=True,
            respond_by=now + dt.timedelta(hours=whistle_hours),
            assigned_at=now,
        )
    current = set(matter.owners.filter(active=True).values_list(*OWNER_FIELDS))
    fields = ["assigned_at", "working_mode", "bounce_count"]
    if previous and previous != current:
        matter.bounce_count += 1
    if matter.acknowledged_at is None:
        matter.acknowledged_at = now
        fields.append("acknowledged_at")
    matter.assigned_at = now
    matter.working_mode = working_mode or matter.working_mode
    flow.move(
        matter,
        to=Status.ASSIGNED,
        actor=actor,
        action="assign",
        allowed=allowed,
        verb=_("assigned"),
        now=now,
        note=note,
        data={
            "owners": [owner_label(o) for o in owners],
            "whistle": [owner_label(o) for o in whistle],
        },
        fields=fields,
    )
    notify_users(
        users=owner_users(matter),
        kind="matter_assigned",
        title=_("New matter for you: %(text)s") % {"text": matter.text[:30]},
        link=matter_link(matter),
    )
    return matter


@transaction.atomic
def matter_route(*, actor: User, matter: Matter, now: dt.datetime | None = None) -> Matter:
    """Apply the matter's rule (``routing.rule_for``) after submit: working mode, and the
    owners if it auto-assigns.

    Without a rule the tier's default working mode is set and nobody is assigned. The rule's
    ``propose_meeting`` is recorded in the route event; meetings pick it up later.
    Auto-assignment gives the matter to the best candidate plus the rule's whistle departments,
    on the rule's authority (``matter_assign(by_rule=True)``); a matter that already has owners
    or has moved on is not re-assigned. ``now`` is the submit's moment, so the history of a
    matter entered after the fact keeps its order.
    """
    rule = routing.rule_for(matter)
    matter = flow.locked(matter)
    if not matter.is_open:
        return matter
    data = _route_step(matter, rule)
    matter.save(update_fields=["working_mode"])
    # The route step belongs to the matter's history like any transition.
    flow.record(matter, actor=actor, action="route", now=now, data=data)
    if rule is None or not rule.auto_assign:
        return matter
    if matter.owners.filter(active=True).exists():
        return matter
    return _auto_assign(actor=actor, matter=matter, rule=rule, now=now)


def _route_step(matter: Matter, rule) -> dict:
    """Set the working mode of ``rule`` (the tier's default without one); the route event's
    data. The one copy for ``matter_route`` and the submit, which routes before its insert."""
    default = next(d for d in routing.default_rules() if d["tier"] == matter.tier)
    matter.working_mode = rule.working_mode if rule else default["working_mode"]
    return {
        "rule": rule.pk if rule else None,
        "working_mode": matter.working_mode,
        "propose_meeting": rule.propose_meeting if rule else default["propose_meeting"],
        "auto_assign": bool(rule and rule.auto_assign),
    }


def _auto_assign(*, actor: User | None, matter: Matter, rule, now: dt.datetime | None) -> Matter:
    """Give a routed matter without owners to the rule's best candidate and its whistle
    departments, on the rule's authority."""
    if matter.status not in (Status.RECEIVED, Status.ACKNOWLEDGED):
        return matter
    top = routing.candidates(matter, limit=1)
    whistle = list(rule.whistle_organisations.all())
    if not top and not whistle:
        return matter
    return matter_assign(
        actor=actor,
        matter=matter,
        owners=[c.owner for c in top],
        whistle=whistle,
        whistle_hours=rule.whistle_response_hours,
        working_mode=rule.working_mode,
        note=_("Assigned by the responsibility rule."),
        by_rule=True,
        now=now,
    )


@transaction.atomic
def matter_whistle_respond(
    *, actor: User, matter: Matter, owner: MatterOwner, note: str = "", now=None
):
    """Staff record that a summoned department (a whistle owner) has responded.

    Departments have no accounts, so the answer is logged by staff; the sweep stops reporting
    the whistle as unanswered from then on.
    """
    matter = flow.locked(matter)
    if not rules.can_manage(actor, matter):
        raise _forbidden()
    if owner.matter_id != matter.pk or not owner.is_whistle:
        raise MatterError("invalid_owner", _("This department was not summoned for this matter."))
    if matter.events.filter(action="whistle_response", data__owner=owner.pk).exists():
        raise MatterError("already_responded", _("This department has already responded."))
    return flow.record(
        matter,
        actor=actor,
        action="whistle_response",
        note=note,
        data={"owner": owner.pk, "organisation": str(owner.organisation)},
        now=now,
    )


@transaction.atomic
def matter_deliberate(*, actor: User, matter: Matter, note: str = "", now=None) -> Matter:
    """Send a big or hard matter to deliberation (a meeting's agenda takes it from here)."""
    matter = flow.locked(matter)
    if not rules.can_manage(actor, matter):
        raise _forbidden()
    if matter.tier == Tier.SMALL:
        raise MatterError("small_matter", _("Small matters are handled directly, not deliberated."))
    flow.move(
        matter,
        to=Status.DELIBERATING,
        actor=actor,
        action="deliberate",
        allowed=SOURCES["deliberate"],
        verb=_("sent to deliberation"),
        now=now,
        note=note,
    )
    # Meetings proposes an agenda item (meetings.receivers), in this transaction.
    matter_deliberating.send(sender=Matter, actor=actor, matter=matter, now=now)
    return matter


@transaction.atomic
def matter_start(*, actor: User, matter: Matter, note: str = "", now=None) -> Matter:
    matter = flow.locked(matter)
    if not rules.can_handle(actor, matter):
        raise _forbidden()
    return flow.move(
        matter,
        to=Status.IN_PROGRESS,
        actor=actor,
        action="start",
        allowed=SOURCES["start"],
        verb=_("started"),
        now=now,
        note=note,
    )


@transaction.atomic
def matter_complete(*, actor: User, matter: Matter, note: str = "", now=None) -> Matter:
    matter = flow.locked(matter)
    if not rules.can_handle(actor, matter):
        raise _forbidden()
    matter.done_at = now_or(now)
    matter.overdue = matter.overdue or (
        matter.due_at is not None and matter.done_at > matter.due_at
    )
    flow.move(
        matter,
        to=Status.DONE,
        actor=actor,
        action="complete",
        allowed=SOURCES["complete"],
        verb=_("completed"),
        now=now,
        note=note,
        fields=["done_at", "overdue"],
    )
    _ask_for_feedback(matter)
    return matter


@transaction.atomic
def matter_handle(*, actor: User, matter: Matter, note: str, now=None) -> Matter:
    """Handle (办结) a small matter in one step: start and complete it, saying what was done.

    For the grid worker of the matter's building, staff and owners, so that after
    acknowledging a small matter the grid worker is not left without a way to finish it. A
    matter nobody owns yet gets the acting grid worker or staff member as its owner on record.
    """
    matter = flow.locked(matter)
    # The tier first: a grid worker may handle only small matters, and should hear why.
    if matter.tier != Tier.SMALL:
        raise MatterError(
            "not_small", _("Only a small matter is handled in one step; assign this one.")
        )
    if not rules.can_handle(actor, matter):
        raise _forbidden()
    note = (note or "").strip()
    if not note:
        raise MatterError("resolution_required", _("Say what was done."))
    if matter.status not in SOURCES["handle"]:
        raise flow.bad_state(matter, _("handled"))
    now = now_or(now)
    fields = ["done_at", "overdue"]
    if not matter.owners.filter(active=True).exists() and user_serves_community(
        actor, matter.community_id
    ):
        MatterOwner.objects.create(matter=matter, user=actor, assigned_at=now)
    for field in ("acknowledged_at", "assigned_at"):
        if getattr(matter, field) is None:
            setattr(matter, field, now)
            fields.append(field)
    matter.done_at = now
    matter.overdue = matter.overdue or (matter.due_at is not None and now > matter.due_at)
    flow.move(
        matter,
        to=Status.DONE,
        actor=actor,
        action="handle",
        allowed=SOURCES["handle"],
        verb=_("handled"),
        now=now,
        note=note[:1000],
        fields=fields,
    )
    _ask_for_feedback(matter)
    return matter


@transaction.atomic
def matter_feedback(
    *, actor: User, matter: Matter, satisfaction: str, comment: str = "", now=None
) -> Matter:
    """A reporter rates a done matter. Dissatisfied reopens it once; the second time escalates."""
    matter = flow.locked(matter)
    if not rules.can_give_feedback(actor, matter):
        raise MatterError("not_reporter", _("Only a reporter of this matter can give feedback."))
    if satisfaction not in Satisfaction.values:
        raise MatterError(
            "invalid_satisfaction", _("Choose satisfied, basically satisfied or dissatisfied.")
        )
    if matter.status != Status.DONE:
        raise flow.bad_state(matter, _("rated"))
    now = now_or(now)
    matter.satisfaction, matter.feedback_comment, matter.feedback_at = (
        satisfaction,
        comment[:1000],
        now,
    )
    fields = ["satisfaction", "feedback_comment", "feedback_at"]
    data = {"satisfaction": satisfaction}
    if satisfaction != Satisfaction.DISSATISFIED:
        matter.closed_at = now
        return flow.move(
            matter,
            to=Status.CLOSED,
            actor=actor,
            action="feedback",
            allowed=SOURCES["feedback"],
            verb=_("rated"),
            now=now,
            note=comment,
            data=data,
            fields=[*fields, "closed_at"],
        )
    if matter.reopen_count == 0:
        matter.reopen_count = 1
        action = "reopen"
    else:
        matter.escalation_level += 1
        action = "escalate"
    matter.done_at = None
    flow.move(
        matter,
        to=Status.IN_PROGRESS,
        actor=actor,
        action=action,
        allowed=SOURCES["feedback"],
        verb=_("rated"),
        now=now,
        note=comment,
        data=data,
        fields=[*fields, "reopen_count", "escalation_level", "done_at"],
    )
    notify_users(
        users=owner_users(matter),
        kind="matter_reopened",
        title=_("A resident is not satisfied: %(text)s") % {"text": matter.text[:30]},
        link=matter_link(matter),
    )
    if action == "escalate":
        notify_users(
            users=supervisor_users(matter, level=matter.escalation_level),
            kind="matter_escalated",
            title=_("Escalated after a second dissatisfaction: %(text)s")
            % {"text": matter.text[:30]},
            link=matter_link(matter),
        )
    return matter


@transaction.atomic
def matter_close_unrated(*, actor: User, matter: Matter, waited_days: int = 7, now=None) -> Matter:
    """Close a done matter whose reporters gave no feedback within the window."""
    matter = flow.locked(matter)
    if not rules.can_manage(actor, matter):
        raise _forbidden()
    now = now_or(now)
    if (
        matter.status == Status.DONE
        and matter.done_at
        and now - matter.done_at < dt.timedelta(days=waited_days)
    ):
        raise MatterError(
            "too_early",
            _("Wait %(days)d days for the resident's feedback.") % {"days": waited_days},
        )
    return _close_unrated(matter, actor=actor, now=now)


@transaction.atomic
def matter_hotline_callback(
    *, matter: Matter, satisfaction: str, note: str = "", now=None
) -> Matter:
    """The 12345 hotline called the resident back (回访) and recorded their satisfaction.

    It counts in the three rates like a resident's own feedback, so it is written into the
    same columns — unless a resident already rated the matter: their own word wins, and the
    callback is only recorded in the history. A satisfied or basically satisfied callback
    closes a done matter; a dissatisfied one leaves it open for its owners (the hotline
    usually dispatches it again). The acting party is the hotline, not a user.
    """
    matter = flow.locked(matter)
    if satisfaction not in Satisfaction.values:
        raise MatterError(
            "invalid_satisfaction", _("Choose satisfied, basically satisfied or dissatisfied.")
        )
    now = now_or(now)
    data = {"satisfaction": satisfaction}
    rated_by_resident = matter.events.filter(action__in=("feedback", "reopen", "escalate"))
    if rated_by_resident.exists():
        flow.record(matter, actor=None, action="hotline_callback", note=note, data=data, now=now)
        return matter
    matter.satisfaction, matter.feedback_comment, matter.feedback_at = (
        satisfaction,
        note[:1000],
        now,
    )
    fields = ["satisfaction", "feedback_comment", "feedback_at"]
    if matter.status == Status.DONE and satisfaction != Satisfaction.DISSATISFIED:
        matter.closed_at = now
        return flow.move(
            matter,
            to=Status.CLOSED,
            actor=None,
            action="hotline_callback",
            allowed=(Status.DONE,),
            verb=_("rated"),
            now=now,
            note=note,
            data=data,
            fields=[*fields, "closed_at"],
        )
    matter.save(update_fields=fields)
    flow.record(
        matter,
        actor=None,
        action="hotline_callback",
        from_status=matter.status,
        note=note,
        data=data,
        now=now,
    )
    return matter


@transaction.atomic
def matter_merge(*, actor: User, matter: Matter, into: Matter, now=None) -> Matter:
    """Merge a duplicate into an open matter: its reporters follow the target from now on."""
    # Two rows locked in primary-key order, so that merging A into B while B is merged into A
    # waits instead of deadlocking.
    first, second = sorted((matter, into), key=lambda m: m.pk)
    locked = {first.pk: flow.locked(first)}
    if second.pk not in locked:
        locked[second.pk] = flow.locked(second)
    matter, into = locked[matter.pk], locked[into.pk]
    if not rules.can_manage(actor, matter) or not rules.can_manage(actor, into):
        raise _forbidden()
    if into.pk == matter.pk or not into.is_open or into.merged_into_id:
        raise MatterError("invalid_target", _("Merge into another open matter."))
    if matter.status not in SOURCES["merge"]:
        raise flow.bad_state(matter, _("merged"))
    known = set(into.reporters.exclude(resident=None).values_list("resident_id", flat=True))
    for reporter in matter.reporters.all():
        if reporter.resident_id is None or reporter.resident_id not in known:
            MatterReporter.objects.create(
                matter=into, resident=reporter.resident, name=reporter.name, from_matter=matter
            )
    matter.merged_into = into
    matter.closed_at = now_or(now)
    flow.move(
        matter,
        to=Status.MERGED,
        actor=actor,
        action="merge",
        allowed=SOURCES["merge"],
        verb=_("merged"),
        now=now,
        data={"into": into.pk},
        fields=["merged_into", "closed_at"],
    )
    flow.record(into, actor=actor, action="absorb", now=now, data={"from": matter.pk})
    return matter


def _close_with_reason(
    *, actor: User, matter, to, action, reason, allowed, verb, referred_to="", now=None
):
    matter = flow.locked(matter)
    if not rules.can_manage(actor, matter):
        raise _forbidden()
    if not reason.strip():
        raise MatterError("reason_required", _("Give a reason."))
    matter.closing_reason, matter.referred_to, matter.closed_at = (
        reason.strip(),
        referred_to,
        now_or(now),
    )
    flow.move(
        matter,
        to=to,
        actor=actor,
        action=action,
        allowed=allowed,
        verb=verb,
        now=now,
        note=reason,
        fields=["closing_reason", "referred_to", "closed_at"],
    )
    _tell_reporters(
        matter,
        kind=f"matter_{action}",
        title=_("Your matter: %(status)s") % {"status": matter.get_status_display()},
    )
    return matter


@transaction.atomic
def matter_refer(*, actor: User, matter: Matter, to: str, reason: str, now=None) -> Matter:
    if not to.strip():
        raise MatterError("reason_required", _("Say where the matter was referred to."))
    return _close_with_reason(
        actor=actor,
        matter=matter,
        to=Status.REFERRED,
        action="refer",
        reason=reason,
        allowed=SOURCES["refer"],
        verb=_("referred"),
        referred_to=to.strip()[:120],
        now=now,
    )


@transaction.atomic
def matter_reject(*, actor: User, matter: Matter, reason: str, now=None) -> Matter:
    return _close_with_reason(
        actor=actor,
        matter=matter,
        to=Status.REJECTED,
        action="reject",
        reason=reason,
        allowed=SOURCES["reject"],
        verb=_("rejected"),
        now=now,
    )


@transaction.atomic
def matter_withdraw(*, actor: User, matter: Matter, reason: str = "", now=None) -> Matter:
    matter = flow.locked(matter)
    if not rules.can_withdraw(actor, matter):
        raise _forbidden()
    matter.closed_at = now_or(now)
    matter.closing_reason = reason
    return flow.move(
        matter,
        to=Status.WITHDRAWN,
        actor=actor,
        action="withdraw",
        allowed=SOURCES["withdraw"],
        verb=_("withdrawn"),
        now=now,
        note=reason,
        fields=["closed_at", "closing_reason"],
    )


def validate_photo(upload) -> None:
    """Photos: JPEG, PNG or WebP by content, at most 5 MB."""
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("A photo may be at most 5 MB."))
    head = upload.read(12)
    upload.seek(0)
    if not (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    ):
        raise ValidationError(_("A photo must be a JPEG, PNG or WebP image."))


@transaction.atomic
def matter_add_photo(*, actor: User, matter: Matter, upload) -> MatterPhoto:
    matter = flow.locked(matter)  # two uploads at once still stop at six
    if not (
        rules.is_reporter(actor, matter)
        or rules.can_handle(actor, matter)
        or matter.entered_by_id == getattr(actor, "pk", None)
    ):
        raise _forbidden()
    try:
        validate_photo(upload)
    except ValidationError as exc:
        raise MatterError("invalid_photo", exc.messages[0]) from exc
    if matter.photos.count() >= 6:
        raise MatterError("invalid_photo", _("At most 6 photos per matter."))
    photo = MatterPhoto.objects.create(
        matter=matter,
        image=upload,
        content_type=upload.content_type or "",
        size=upload.size,
        uploaded_by=actor,
    )
    flow.record(matter, actor=actor, action="photo", data={"photo": photo.pk})
    return photo

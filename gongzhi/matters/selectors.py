"""Reads of matters, shared by the web pages, the API and the dashboard.

Every list starts from ``rules.matters_visible``: a filter the user asks for narrows what they
may see and never widens it. The dashboard helpers are aggregates only, so their query count
does not grow with the number of matters.
"""

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import directory_reach, narrow
from gongzhi.core.places import Place
from gongzhi.core.scope import Actor, registry_reach, within
from gongzhi.matters import rules
from gongzhi.matters.errors import MatterError
from gongzhi.matters.models import (
    OPEN_STATUSES,
    WORKING_STATUSES,
    Category,
    Channel,
    ClassificationCorrection,
    Matter,
    MatterOwner,
    Satisfaction,
    Status,
    Tier,
    WorkingMode,
    owner_label,
)
from gongzhi.matters.place import resolve_place
from gongzhi.matters.rates import rate_counts, rates_from_counts
from gongzhi.people.models import Resident
from gongzhi.places import chain
from gongzhi.places.models import Compound

# ``status`` accepts a status or one of these groups.
STATUS_GROUPS = {"open": OPEN_STATUSES, "resolved": (Status.DONE, Status.CLOSED)}


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def matter_list(
    user: Actor,
    *,
    place: Place | None = None,
    status: str | None = None,
    tier: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    overdue: bool | None = None,
    search: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Matter]:
    """Matters the user may see, newest first, narrowed by the filters.

    ``since`` and ``until`` are days, both included, of the submission date. ``overdue`` means
    flagged overdue, or still waiting for someone to act after its resolve-by time.
    """
    qs = narrow(rules.matters_visible(user, Matter.objects.with_place()), place)
    if status in STATUS_GROUPS:
        qs = qs.filter(status__in=STATUS_GROUPS[status])
    elif status:
        qs = qs.filter(status=status)
    if tier:
        qs = qs.filter(tier=tier)
    if category:
        qs = qs.filter(category=category)
    if channel:
        qs = qs.filter(channel=channel)
    if overdue is not None:
        late = late_q(now or timezone.now())
        qs = qs.filter(late) if overdue else qs.exclude(late)
    if search:
        search = search.strip()
        by_text = Q(text__contains=search) | Q(reporter_name__contains=search)
        if search.lstrip("#").isdigit():
            by_text |= Q(pk=int(search.lstrip("#")))
        qs = qs.filter(by_text)
    if since:
        qs = qs.filter(created_at__gte=day_start(since))
    if until:
        qs = qs.filter(created_at__lt=day_start(until + dt.timedelta(days=1)))
    return qs.order_by("-created_at", "-id")


def classification_corrections() -> list[tuple[str, str, str]]:
    """(text, category, tier) of every matter whose classification staff confirmed or fixed."""
    return list(
        ClassificationCorrection.objects.order_by("pk").values_list("text", "category", "tier")
    )


def submit_place(user: Actor, place: Place | None) -> dict:
    """The place columns of a new matter at ``place``, if the user may see that place.

    A matter concerns a community, a compound, a building or a household; anything else, or a
    place the user cannot see, is an ``unknown_place`` error that says nothing about others.
    """
    return submit_place_and_reporter(user, place)[0]


def submit_place_and_reporter(
    user: Actor, place: Place | None, reporter_id: int | None = None
) -> tuple[dict, Resident | None]:
    """``submit_place``, and the resident ``reporter_id`` names (None for none) if the user may
    see that resident in the registry: an ``unknown_reporter`` error otherwise, after the
    place's. Read at every submit: the place and the resident, each with the places above it,
    in one statement written once (``places.chain``); the reaches checked on the rows
    (``core.scope.within``, the twin of ``restrict``)."""
    if place is None or place.level not in chain.LEVELS:
        raise MatterError(
            "unknown_place",
            _("Choose a community, compound, building or household the matter concerns."),
        )
    reads: list[chain.Read] = [(place.level, place.id, None)]
    if reporter_id is not None:
        reads.append(("household", reporter_id, (Resident, "household")))
    obj, *reporter = chain.each_with_ancestors(reads)
    if obj is None or not within(directory_reach(user), obj):
        raise MatterError("unknown_place", _("Unknown place %(place)s.") % {"place": place})
    if not reporter:
        return resolve_place(**{place.level: obj}), None
    if reporter[0] is None or not within(registry_reach(user), reporter[0]):
        raise MatterError("unknown_reporter", _("Unknown reporter."))
    return resolve_place(**{place.level: obj}), reporter[0]


# ---- dashboard aggregates -------------------------------------------------------------------


def count_by(matters: QuerySet, field: str) -> dict[str, int]:
    """{value: number of matters} for one column, in one query."""
    rows = matters.order_by().values(field).annotate(n=Count("pk")).values_list(field, "n")
    return dict(rows)


def monthly_trend(matters: QuerySet, *, months: list[dt.date]) -> dict[str, list[int]]:
    """Matters submitted and closed per month (``months`` are first days), two queries."""
    start, tz = day_start(months[0]), timezone.get_current_timezone()
    submitted = dict(
        matters.filter(created_at__gte=start)
        .order_by()
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    closed = dict(
        matters.filter(status=Status.CLOSED, closed_at__gte=start)
        .order_by()
        .annotate(month=TruncMonth("closed_at", tzinfo=tz))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )

    def series(counts):
        by_day = {_as_date(month): n for month, n in counts.items()}
        return [by_day.get(month, 0) for month in months]

    return {"submitted": series(submitted), "closed": series(closed)}


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def rates_by_compound(matters: QuerySet, compounds: QuerySet) -> list[tuple[Compound, dict]]:
    """The rates (``rates_from_counts``) and their counts per compound that has matters in
    ``matters``: one grouped query, then the compounds — two queries however many compounds
    the user's reach holds (one ``three_rates`` per compound was 2,100 queries for a
    subdistrict of 700 compounds). The medians of ``three_rates`` are not computed here."""
    grouped = (
        matters.exclude(compound=None)
        .order_by()
        .values("compound")
        .annotate(**rate_counts(timezone.now()))
    )
    counts = {row.pop("compound"): row for row in grouped}
    return [
        (compound, {**rates_from_counts(counts[compound.pk]), "counts": counts[compound.pk]})
        for compound in compounds.filter(pk__in=list(counts)).order_by("community_id", "name")
    ]


def actor_label(viewer, event) -> str:
    """Who acted on a matter, as ``viewer`` may see it: residents see roles, not names; others
    see the full name and role (never a username, which means nothing to a reader)."""
    actor = event.actor
    if actor is None:
        return _("system")
    if actor.pk == viewer.pk:
        return _("you")
    profile = getattr(actor, "profile", None) if hasattr(actor, "profile") else None
    role = str(profile.get_role_display() if profile else _("administrator"))
    if rules.role(viewer) == UserRole.RESIDENT:
        return role
    return owner_label(actor)


EVENT_LABELS = {
    "submit": gettext_lazy("submitted"),
    "classify": gettext_lazy("classification confirmed"),
    "acknowledge": gettext_lazy("acknowledged"),
    "assign": gettext_lazy("assigned"),
    "route": gettext_lazy("routed by the responsibility rules"),
    "deliberate": gettext_lazy("sent to deliberation"),
    "start": gettext_lazy("work started"),
    "complete": gettext_lazy("completed"),
    "handle": gettext_lazy("handled"),
    "handle_on_spot": gettext_lazy("handled on the spot"),
    "feedback": gettext_lazy("feedback given"),
    "hotline_callback": gettext_lazy("12345 hotline callback"),
    "reopen": gettext_lazy("reopened after dissatisfaction"),
    "escalate": gettext_lazy("escalated"),
    "close_unrated": gettext_lazy("closed without feedback"),
    "merge": gettext_lazy("merged into another matter"),
    "absorb": gettext_lazy("a duplicate was merged in"),
    "refer": gettext_lazy("referred elsewhere"),
    "reject": gettext_lazy("rejected"),
    "withdraw": gettext_lazy("withdrawn"),
    "photo": gettext_lazy("photo added"),
    "overdue": gettext_lazy("deadline passed"),
    "whistle_response": gettext_lazy("the summoned department responded"),
    "whistle_overdue": gettext_lazy("the summoned department did not respond in time"),
}

# Values kept in ``MatterEvent.data`` that a timeline shows: each by its label.
_DEADLINES = {"ack": gettext_lazy("acknowledge by"), "due": gettext_lazy("resolve by")}
_REASONS = {
    "overdue": gettext_lazy("late by more than its whole resolve period"),
    "nobody_to_ask": gettext_lazy("no reporter who could be asked for feedback"),
}


def event_label(event) -> str:
    """The event's action in words; an action without a label (none today) shows as
    "other step" rather than its code."""
    return str(EVENT_LABELS.get(event.action, _("other step")))


def event_detail(event) -> str:
    """What the event's data adds, in words: the deadline passed, the rating, the owners …"""
    data = event.data or {}
    action = event.action
    if action == "submit" and data.get("channel") in Channel.values:
        return str(Channel(data["channel"]).label)
    if action == "overdue" and data.get("deadline") in _DEADLINES:
        return str(_DEADLINES[data["deadline"]])
    if action == "escalate" and data.get("reason") in _REASONS:
        return str(_REASONS[data["reason"]])
    if action == "close_unrated" and data.get("reason") in _REASONS:
        return str(_REASONS[data["reason"]])
    rated = ("feedback", "reopen", "escalate", "hotline_callback")
    if action in rated and data.get("satisfaction") in Satisfaction.values:
        return str(Satisfaction(data["satisfaction"]).label)
    if action == "assign":
        return "、".join([*data.get("owners", []), *data.get("whistle", [])])
    if action == "route" and data.get("working_mode") in WorkingMode.values:
        return str(WorkingMode(data["working_mode"]).label)
    if action in ("whistle_response", "whistle_overdue"):
        return data.get("organisation", "")
    if action == "merge" and data.get("into"):
        return f"#{data['into']}"
    if action == "absorb" and data.get("from"):
        return f"#{data['from']}"
    if action == "classify" and isinstance(data.get("to"), dict):
        to = data["to"]
        if to.get("category") in Category.values and to.get("tier") in Tier.values:
            return f"{Category(to['category']).label} · {Tier(to['tier']).label}"
    return ""


def moved_to(event) -> str:
    """The new status's label when the event changed it (and does not already say so)."""
    if not event.from_status or event.to_status == event.from_status:
        return ""
    if event.to_status not in Status.values:
        return ""
    label = str(Status(event.to_status).label)
    return "" if label == event_label(event) else label


def late_q(now) -> Q:
    """Flagged overdue, or still waiting for someone to act after its resolve-by time."""
    return Q(overdue=True) | Q(status__in=WORKING_STATUSES, due_at__lt=now)


def open_load(field: str, ids: list[int]) -> dict[int, int]:
    """Open matters (在办) owned by each of ``ids`` through ``MatterOwner.<field>``: one query.
    The load the pickers show beside a partner, a team or an account (``pickers.selectors.LOAD``)."""
    if not ids:
        return {}
    rows = (
        MatterOwner.objects.filter(
            active=True, matter__status__in=OPEN_STATUSES, **{f"{field}__in": ids}
        )
        .values(field)
        .annotate(n=Count("matter", distinct=True))
    )
    return {row[field]: row["n"] for row in rows}

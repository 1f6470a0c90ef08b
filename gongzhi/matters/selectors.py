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

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import directory_reach, narrow, restrict
from gongzhi.core.places import Place
from gongzhi.matters import rules
from gongzhi.matters.models import (
    OPEN_STATUSES,
    WORKING_STATUSES,
    ClassificationCorrection,
    Matter,
    Status,
)
from gongzhi.matters.rates import rate_counts, rates_from_counts
from gongzhi.matters.services import MatterError, resolve_place
from gongzhi.places.models import Building, Community, Compound, Household

# ``status`` accepts a status or one of these groups.
STATUS_GROUPS = {"open": OPEN_STATUSES, "resolved": (Status.DONE, Status.CLOSED)}


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def matter_list(
    user,
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


_PLACE_MODELS = {
    "community": Community,
    "compound": Compound,
    "building": Building,
    "household": Household,
}


def submit_place(user, place: Place | None) -> dict:
    """The place columns of a new matter at ``place``, if the user may see that place.

    A matter concerns a community, a compound, a building or a household; anything else, or a
    place the user cannot see, is an ``unknown_place`` error that says nothing about others.
    """
    model = _PLACE_MODELS.get(place.level) if place else None
    if model is None:
        raise MatterError(
            "unknown_place",
            _("Choose a community, compound, building or household the matter concerns."),
        )
    qs = model.objects.all()
    if model is Household:
        qs = qs.with_place()
    obj = restrict(qs, directory_reach(user)).filter(pk=place.id).first()
    if obj is None:
        raise MatterError("unknown_place", _("Unknown place %(place)s.") % {"place": place})
    return resolve_place(**{place.level: obj})


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
    """Who acted on a matter, as ``viewer`` may see it: residents see roles, not names."""
    actor = event.actor
    if actor is None:
        return _("system")
    if actor.pk == viewer.pk:
        return _("you")
    profile = getattr(actor, "profile", None) if hasattr(actor, "profile") else None
    role = profile.get_role_display() if profile else _("administrator")
    if rules.role(viewer) == UserRole.RESIDENT:
        return str(role)
    return f"{actor.get_full_name() or actor.username} · {role}"


def late_q(now) -> Q:
    """Flagged overdue, or still waiting for someone to act after its resolve-by time."""
    return Q(overdue=True) | Q(status__in=WORKING_STATUSES, due_at__lt=now)

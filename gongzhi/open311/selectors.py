"""Reads for the Open311 endpoints: jurisdictions, the service list, requests as the spec's
dicts, keys and their calls. Answers are public: they carry no names, phones or rooms."""

import datetime as dt

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.core.scope import Actor
from gongzhi.matters.models import OPEN_STATUSES, Category, Matter, MatterEvent, MatterOwner
from gongzhi.open311 import rules
from gongzhi.open311.formats import Open311Error
from gongzhi.open311.models import Open311Call, Open311Key, Open311Request
from gongzhi.places.models import Community

MAX_RANGE = dt.timedelta(days=90)
# The spec lets a server cap a list; clients narrow by date or code for more.
MAX_REQUESTS = 1000
RATE_PER_MINUTE = 30
RATE_PER_DAY = 2000
# Calls with a key nobody issued, per network address: slows down guessing.
RATE_UNKNOWN_KEY_PER_HOUR = 20

# Each category's group, description and keywords in the service list.
ENVIRONMENT = gettext_lazy("environment and sanitation")
FACILITIES = gettext_lazy("facilities and property")
SAFETY = gettext_lazy("safety and disputes")
SERVICES = gettext_lazy("services and care")
COMMUNITY = gettext_lazy("community affairs")
SERVICE_INFO = {
    Category.PARKING: (
        FACILITIES,
        gettext_lazy("Parking in the compounds: cars and e-bikes blocking lanes, parking spaces."),
        gettext_lazy("parking, parking space, e-bike, fire lane"),
    ),
    Category.GREENING: (
        ENVIRONMENT,
        gettext_lazy("Trees, lawns and flower beds: pruning, damage, vegetables on green land."),
        gettext_lazy("greening, trees, lawn, pruning"),
    ),
    Category.SANITATION: (
        ENVIRONMENT,
        gettext_lazy("Rubbish, sorting points, dirty corridors and stairwells, bulky waste."),
        gettext_lazy("rubbish, waste sorting, cleaning, corridor"),
    ),
    Category.PETS: (
        ENVIRONMENT,
        gettext_lazy("Dogs without leashes, droppings, noisy or stray animals."),
        gettext_lazy("pets, dogs, droppings, stray animals"),
    ),
    Category.FACILITIES: (
        FACILITIES,
        gettext_lazy("Broken lights, lifts, doors, roads, water and drain pipes in public areas."),
        gettext_lazy("repair, street light, lift, pipe, road"),
    ),
    Category.SAFETY: (
        SAFETY,
        gettext_lazy(
            "Fire hazards, blocked escape routes, e-bikes charged indoors, falling objects."
        ),
        gettext_lazy("safety, fire hazard, charging, escape route"),
    ),
    Category.CARE: (
        SERVICES,
        gettext_lazy(
            "Help for elderly people living alone, people with disabilities, families in need."
        ),
        gettext_lazy("care, elderly, help, disability"),
    ),
    Category.DISPUTES: (
        SAFETY,
        gettext_lazy("Quarrels between neighbours: noise, leaks, shared spaces."),
        gettext_lazy("dispute, neighbours, noise, leak"),
    ),
    Category.PROPERTY: (
        FACILITIES,
        gettext_lazy("The property company's services: fees, repairs, security, cleaning."),
        gettext_lazy("property company, property fee, security, maintenance"),
    ),
    Category.CULTURE: (
        SERVICES,
        gettext_lazy("Cultural and sports activities, venues and equipment of the community."),
        gettext_lazy("culture, sports, activities, venue"),
    ),
    Category.SERVICES: (
        SERVICES,
        gettext_lazy("Government services at the community: certificates, insurance, subsidies."),
        gettext_lazy("government services, certificate, insurance, subsidy"),
    ),
    Category.OTHER: (
        COMMUNITY,
        gettext_lazy("Anything else the community should know about."),
        gettext_lazy("other, suggestion"),
    ),
}


def w3c(value: dt.datetime | None) -> str | None:
    """A w3c datetime with its offset, in the server's time zone (2024-05-01T09:30:00+08:00)."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def as_id(value: str) -> int | None:
    """A row id from text, or None: digits only, and small enough for any database's integer
    (a 20-digit "id" must be a 404, not a database error)."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def jurisdictions(jurisdiction_id: str | None) -> QuerySet[Community]:
    """The communities a call is about: the one named (name or id) or, without one, all."""
    communities = Community.objects.all()
    value = (jurisdiction_id or "").strip()
    if not value:
        return communities
    if value.isdigit():
        pk = as_id(value)  # None: more digits than any id has
        matching = communities.none() if pk is None else communities.filter(pk=pk)
    else:
        matching = communities.filter(name=value)
    found = list(matching[:2])
    if not found:
        raise Open311Error(
            404, "unknown_jurisdiction", _("No community is called %(name)s.") % {"name": value}
        )
    if len(found) > 1:
        raise Open311Error(
            400,
            "ambiguous_jurisdiction",
            _("Several communities are called %(name)s: give the community's number instead.")
            % {"name": value},
        )
    return communities.filter(pk=found[0].pk)


def service(code: str) -> dict:
    group, description, keywords = SERVICE_INFO[Category(code)]
    return {
        "service_code": code,
        "service_name": str(Category(code).label),
        "description": str(description),
        "metadata": False,
        "type": "realtime",
        "keywords": str(keywords),
        "group": str(group),
    }


def services() -> list[dict]:
    return [service(code) for code in Category.values]


def service_definition(code: str) -> dict:
    """No service asks for attributes beyond the description and location (metadata false), so
    the definition of a known service is its code with an empty attribute list."""
    if code not in Category.values:
        raise unknown_service(code)
    return {"service_code": code, "attributes": []}


def unknown_service(code: str) -> Open311Error:
    return Open311Error(
        404, "unknown_service", _("There is no service with the code %(code)s.") % {"code": code}
    )


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _parse_date(value: str, name: str) -> dt.datetime:
    try:
        parsed = parse_datetime(value.strip().replace(" ", "+"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise Open311Error(
            400,
            "bad_date",
            _("%(name)s is not a w3c date and time such as 2024-05-01T00:00:00+08:00.")
            % {"name": name},
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def date_range(
    start: str | None, end: str | None, *, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The spec's window: at most 90 days; the last 90 days when neither end is given."""
    start_at = _parse_date(start, "start_date") if start else None
    end_at = _parse_date(end, "end_date") if end else None
    if start_at is None:
        if end_at is None:
            return now - MAX_RANGE, now
        start_at = end_at - MAX_RANGE
    elif end_at is None:
        end_at = start_at + MAX_RANGE
    if end_at < start_at:
        raise Open311Error(400, "bad_date", _("end_date lies before start_date."))
    if end_at - start_at > MAX_RANGE:
        raise Open311Error(
            400, "range_too_long", _("start_date and end_date may be at most 90 days apart.")
        )
    return start_at, end_at


def _requests_qs(communities: QuerySet[Community]) -> QuerySet[Matter]:
    updated = MatterEvent.objects.filter(matter=OuterRef("pk")).order_by("-at").values("at")[:1]
    organisations = MatterOwner.objects.filter(active=True, organisation__isnull=False)
    return (
        Matter.objects.filter(community__in=communities)
        .select_related("community", "compound", "building__compound", "open311_request")
        .annotate(updated_at=Subquery(updated))
        .prefetch_related(
            Prefetch(
                "owners", queryset=organisations.select_related("organisation"), to_attr="agencies"
            )
        )
        .order_by("-created_at", "-id")
    )


def request_list(communities: QuerySet[Community], params, *, now: dt.datetime) -> list[dict]:
    """GET requests: by ids (other filters then ignored, as the spec says) or by code, status
    and date window."""
    matters = _requests_qs(communities)
    ids = _split(params.get("service_request_id"))
    if ids:
        if any(as_id(part) is None for part in ids):
            raise Open311Error(400, "bad_request_id", _("service_request_id is a list of numbers."))
        return [
            request_dict(m) for m in matters.filter(pk__in=[as_id(i) for i in ids])[:MAX_REQUESTS]
        ]
    codes = _split(params.get("service_code"))
    unknown = [code for code in codes if code not in Category.values]
    if unknown:
        raise unknown_service(unknown[0]) from None
    if codes:
        matters = matters.filter(category__in=codes)
    statuses = set(_split(params.get("status")))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "bad_status", _("status is open, closed or both."))
    if statuses == {"open"}:
        matters = matters.filter(status__in=OPEN_STATUSES)
    elif statuses == {"closed"}:
        matters = matters.exclude(status__in=OPEN_STATUSES)
    start_at, end_at = date_range(params.get("start_date"), params.get("end_date"), now=now)
    matters = matters.filter(created_at__gte=start_at, created_at__lte=end_at)
    return [request_dict(m) for m in matters[:MAX_REQUESTS]]


def request_one(communities: QuerySet[Community], request_id: str) -> list[dict]:
    request_pk = as_id(request_id)
    matter = _requests_qs(communities).filter(pk=request_pk).first() if request_pk else None
    if matter is None:
        raise Open311Error(
            404, "unknown_request", _("There is no request %(id)s.") % {"id": request_id}
        )
    return [request_dict(matter)]


def address_label(matter: Matter) -> str:
    """Where the matter is, down to the building: never the household (a room is personal)."""
    parts = [matter.community.name]
    if matter.compound is not None:
        parts.append(matter.compound.name)
    if matter.building is not None:
        parts.append(matter.building.name)
    return " ".join(parts)


def request_dict(matter: Matter) -> dict:
    """One request as the spec's fields. The description is published only for requests that
    came in through Open311 (their authors wrote for a public service); residents' own reports
    to their community show their service, status and place, not their words."""
    filed = getattr(matter, "open311_request", None)
    agencies = getattr(matter, "agencies", [])
    row = {
        "service_request_id": str(matter.pk),
        "status": "open" if matter.status in OPEN_STATUSES else "closed",
        "status_notes": matter.get_status_display(),
        "service_name": str(Category(matter.category).label),
        "service_code": matter.category,
        "description": matter.text if filed else None,
        "agency_responsible": "，".join(o.organisation.name for o in agencies) or None,
        "requested_datetime": w3c(matter.created_at),
        "updated_datetime": w3c(getattr(matter, "updated_at", None) or matter.created_at),
        "expected_datetime": w3c(matter.due_at),
        "address": address_label(matter),
        "address_id": str(matter.building_id) if matter.building_id else None,
        "lat": filed.lat if filed else None,
        "long": filed.long if filed else None,
    }
    return {name: value for name, value in row.items() if value is not None}


def filed_by_token(token: str) -> Open311Request:
    filed = Open311Request.objects.filter(token=token).first()
    if filed is None:
        raise Open311Error(404, "unknown_token", _("There is no request with this token."))
    return filed


def key_for(raw: str) -> Open311Key | None:
    """The key a client sent, if it was issued (revoked keys included: the caller tells them
    apart, so that the refusal can say which)."""
    if not raw:
        return None
    return (
        Open311Key.objects.select_related("community").filter(digest=Open311Key.hash(raw)).first()
    )


def over_limit(*, key: Open311Key | None, address: str | None, now: dt.datetime) -> bool:
    """Whether this call would exceed the client's limits (counted on the recorded calls)."""
    if key is None:
        if not address:
            return False
        recent = Open311Call.objects.filter(
            key=None, address=address, at__gte=now - dt.timedelta(hours=1)
        )
        return recent.count() >= RATE_UNKNOWN_KEY_PER_HOUR
    calls = Open311Call.objects.filter(key=key)
    if calls.filter(at__gte=now - dt.timedelta(minutes=1)).count() >= RATE_PER_MINUTE:
        return True
    return calls.filter(at__gte=now - dt.timedelta(days=1)).count() >= RATE_PER_DAY


def keys_for(user: Actor) -> QuerySet[Open311Key]:
    return rules.keys_visible(user, Open311Key.objects.select_related("community"))


def calls_for(user: Actor) -> QuerySet[Open311Call]:
    calls = Open311Call.objects.select_related("key__community").exclude(key=None)
    if getattr(user, "is_superuser", False):
        return calls
    keys = rules.keys_visible(user, Open311Key.objects.all())
    return calls.filter(key__in=keys)

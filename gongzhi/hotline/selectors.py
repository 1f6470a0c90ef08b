"""Reads of hotline orders: the staff list (by place and status), an order with its history,
the export rows, the gateway credentials of a community and where the matters' satisfaction
came from (residents or the hotline's callback)."""

from django.db.models import Case, CharField, Count, F, QuerySet, Value, When

from gongzhi.core.places import Place, PlacePaths, place_q
from gongzhi.hotline import rules
from gongzhi.hotline.models import GatewayCredential, HotlineOrder, OrderEvent
from gongzhi.matters.models import Satisfaction

# The matter's place columns, seen from the order.
ORDER_PLACE = PlacePaths(
    subdistrict="matter__community__subdistrict",
    community="matter__community",
    compound="matter__compound",
    building="matter__building",
    household="matter__household",
)


def order_list(user, *, place: Place | None = None, status: str = "", number: str = "") -> QuerySet:
    """The orders the user may see, newest first, narrowed to ``place``, ``status`` and an
    order number containing ``number``."""
    qs = rules.orders_visible(user, HotlineOrder.objects.all())
    if place is not None:
        qs = qs.filter(place_q(place, ORDER_PLACE))
    if status:
        qs = qs.filter(status=status)
    if number:
        qs = qs.filter(order_no__icontains=number)
    return qs.select_related(
        "community", "matter__compound", "matter__building__compound"
    ).order_by("-received_at", "-pk")


def order_events(order: HotlineOrder) -> QuerySet:
    return OrderEvent.objects.filter(order=order).select_related("actor").order_by("at", "pk")


def credentials_of(community_id: int) -> QuerySet:
    return GatewayCredential.objects.filter(community_id=community_id).order_by("-created_at")


SATISFACTION_SOURCES = ("resident", "hotline")


def rating_source() -> Case:
    """A matter's rating source, "hotline" or "resident" (see ``satisfaction_sources``)."""
    return Case(
        When(hotline_order__callback_at=F("feedback_at"), then=Value("hotline")),
        default=Value("resident"),
        output_field=CharField(),
    )


def satisfaction_sources(matters: QuerySet) -> dict[str, dict[str, int]]:
    """The rated ``matters`` counted by who gave the rating that counts in the rates:
    ``{"resident": {satisfaction: n}, "hotline": {…}}``, every satisfaction present (0 if none).

    One grouped query. The rating came from the 12345 callback when the matter's feedback time
    is the callback's: ``order_callback`` writes both with the same moment, and a resident's
    own rating (before the callback, which then leaves the matter alone, or after it, which
    overwrites it) carries another time.
    """
    rows = (
        matters.exclude(satisfaction="")
        .order_by()
        .annotate(source=rating_source())
        .values("source", "satisfaction")
        .annotate(n=Count("pk"))
    )
    counts = {key: dict.fromkeys(Satisfaction.values, 0) for key in SATISFACTION_SOURCES}
    for row in rows:
        counts[row["source"]][row["satisfaction"]] = row["n"]
    return counts

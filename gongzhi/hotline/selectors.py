"""Reads of hotline orders: the staff list (by place and status), an order with its history,
the export rows and the gateway credentials of a community."""

from django.db.models import QuerySet

from gongzhi.core.places import Place, PlacePaths, place_q
from gongzhi.hotline import rules
from gongzhi.hotline.models import GatewayCredential, HotlineOrder, OrderEvent

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

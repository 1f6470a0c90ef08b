"""Writes of the Open311 app: keys (create, revoke), community areas, the record of each call,
and a client's service request, which becomes a matter through ``matter_submit`` like a report
from any other channel."""

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.identity import normalize_phone
from gongzhi.core.text import clean_text
from gongzhi.matters import services as matters
from gongzhi.matters.models import Category, Channel
from gongzhi.open311 import rules, selectors
from gongzhi.open311.formats import Open311Error
from gongzhi.open311.models import CommunityArea, Open311Call, Open311Key, Open311Request
from gongzhi.places.models import Building, Community

_KEY_NAME = Open311Key._meta.get_field("name")
assert _KEY_NAME.max_length is not None  # a CharField
KEY_NAME_MAX: int = _KEY_NAME.max_length


def _refuse_unless_manager(actor: User | None, community: Community) -> None:
    # actor None: the shell (``create_open311_key``), where whoever runs it owns the server.
    if actor is not None and not rules.can_manage_community(actor, community.pk):
        raise Open311Error(
            403, "forbidden", _("Only the community's staff manage its Open311 keys.")
        )


@transaction.atomic
def open311_key_create(
    *, actor: User | None, community: Community, name: str
) -> tuple[Open311Key, str]:
    """A new key for a client of ``community``; the raw key is returned once, never stored."""
    _refuse_unless_manager(actor, community)
    name = clean_text(name or "").strip()
    if not name:
        raise Open311Error(400, "name_required", _("Give the key the name of its client."))
    if len(name) > KEY_NAME_MAX:
        raise Open311Error(
            400,
            "name_too_long",
            _("The name is too long: at most %(max)d characters.") % {"max": KEY_NAME_MAX},
        )
    raw = Open311Key.new_raw()
    key = Open311Key.objects.create(
        community=community,
        name=name,
        digest=Open311Key.hash(raw),
        prefix=raw[:9],
        created_by=actor,
    )
    return key, raw


@transaction.atomic
def open311_key_revoke(
    *, actor: User, key: Open311Key, now: dt.datetime | None = None
) -> Open311Key:
    key = Open311Key.objects.select_for_update().get(pk=key.pk)
    _refuse_unless_manager(actor, key.community)
    if key.revoked_at is not None:
        raise Open311Error(400, "already_revoked", _("This key is already revoked."))
    key.revoked_at = now or timezone.now()
    key.revoked_by = actor
    key.save(update_fields=["revoked_at", "revoked_by"])
    return key


@transaction.atomic
def community_area_set(
    *, actor: User, community: Community, south: float, north: float, west: float, east: float
) -> CommunityArea:
    """The box a community answers lat/long requests for (replaces the previous one)."""
    _refuse_unless_manager(actor, community)
    if not (-90 <= south <= north <= 90 and -180 <= west <= east <= 180):
        raise Open311Error(
            400,
            "bad_area",
            _("The south edge must lie below the north edge and the west edge left of the east."),
        )
    area, _created = CommunityArea.objects.update_or_create(
        community=community, defaults={"south": south, "north": north, "west": west, "east": east}
    )
    return area


def open311_call_record(
    *,
    key: Open311Key | None,
    method: str,
    path: str,
    status_code: int,
    error_code: str = "",
    address: str | None = None,
    matter_id: int | None = None,
    now: dt.datetime | None = None,
) -> Open311Call:
    """Outside the request's transaction: a refused call is recorded too."""
    return Open311Call.objects.create(
        key=key,
        at=now or timezone.now(),
        method=method[:8],
        path=path[:200],
        status_code=status_code,
        error_code=error_code[:40],
        address=address,
        matter_id=matter_id,
    )


# ---- a client's service request ---------------------------------------------------------------

_BUILDING_WORDS = re.compile(r"(\d+)\s*(?:号楼|号|幢|栋|楼)")


def _normalise_address(text: str) -> str:
    """ "渔家苑 3号楼2单元" → "渔家苑3栋2单元": spaces out, the usual words for a building made 栋."""
    return _BUILDING_WORDS.sub(r"\1栋", re.sub(r"\s+", "", text))


def _building_by_address(community: Community, address: str) -> Building:
    """The building (or only the compound) an address string names: the longest "小区名N栋"
    of the community the string starts with, after an optional community name."""
    text = _normalise_address(address)
    if text.startswith(community.name):
        text = text[len(community.name) :]
    best = None
    buildings = Building.objects.filter(compound__community=community).select_related("compound")
    for building in buildings:
        label = _normalise_address(building.compound.name + building.name)
        if text.startswith(label) and (best is None or len(label) > best[0]):
            best = (len(label), building)
    if best is None:
        raise Open311Error(
            400,
            "unknown_address",
            _("No building of %(community)s matches “%(address)s”: write it as 小区名N栋.")
            % {"community": community.name, "address": address[:60]},
        )
    return best[1]


def _coordinate(value: Any, name: str, limit: float) -> float:
    """A latitude or longitude as sent (text, a number, or anything else: refused)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not -limit <= number <= limit:
        raise Open311Error(
            400, "bad_location", _("%(name)s is not a valid coordinate.") % {"name": name}
        )
    return number


def _place_by_point(community: Community, lat: float, long: float) -> dict:
    areas = list(
        CommunityArea.objects.filter(south__lte=lat, north__gte=lat, west__lte=long, east__gte=long)
    )
    if not areas:
        raise Open311Error(
            400, "outside_communities", _("The location lies outside every community.")
        )
    if community.pk not in {area.community_id for area in areas}:
        raise Open311Error(
            400,
            "outside_jurisdiction",
            _("The location lies outside %(community)s.") % {"community": community.name},
        )
    return matters.resolve_place(community=community)


def _place(community: Community, data: Mapping) -> tuple[dict, float | None, float | None]:
    """The matter's place from address_id, address_string or lat/long (in that order of
    precision); the coordinates are kept whenever they were sent."""
    lat = long = None
    if (data.get("lat") or "").strip() or (data.get("long") or "").strip():
        lat = _coordinate(data.get("lat"), "lat", 90)
        long = _coordinate(data.get("long"), "long", 180)
    address_id = (data.get("address_id") or "").strip()
    address = (data.get("address_string") or "").strip()
    if address_id:
        building_id = selectors.as_id(address_id)  # None: not an id any building has
        building = (
            None
            if building_id is None
            else Building.objects.select_related("compound__community")
            .filter(pk=building_id, compound__community=community)
            .first()
        )
        if building is None:
            raise Open311Error(
                400,
                "unknown_address",
                _("%(community)s has no building with address_id %(id)s.")
                % {"community": community.name, "id": address_id[:20]},
            )
        return matters.resolve_place(building=building), lat, long
    if address:
        return matters.resolve_place(building=_building_by_address(community, address)), lat, long
    if lat is not None and long is not None:  # sent together
        return _place_by_point(community, lat, long), lat, long
    raise Open311Error(
        400,
        "location_required",
        _("Give the location: lat and long, address_string or address_id."),
    )


def _key_community(key: Open311Key, jurisdiction_id: str | None) -> Community:
    """The community a request goes to: the key's, which the jurisdiction must name when the
    server holds several communities."""
    if (jurisdiction_id or "").strip():
        community = selectors.jurisdictions(jurisdiction_id).get()
    elif Community.objects.count() > 1:
        raise Open311Error(
            400,
            "jurisdiction_required",
            _("This server holds several communities: give jurisdiction_id."),
        )
    else:
        community = Community.objects.get()
    if community.pk != key.community_id:
        raise Open311Error(
            403,
            "wrong_jurisdiction",
            _("This API key is not valid for %(community)s.") % {"community": community.name},
        )
    return community


def open311_request_submit(*, key: Open311Key, data: Mapping) -> Open311Request:
    """POST requests: one matter, filed by the client ``key`` belongs to. Every refusal is
    raised before anything is written; a refused matter_submit rolls everything back."""
    if key.revoked_at is not None:
        raise Open311Error(403, "key_revoked", _("This API key has been revoked."))
    community = _key_community(key, data.get("jurisdiction_id"))
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code_required", _("Give the service_code."))
    if code not in Category.values:
        raise selectors.unknown_service(code)
    place, lat, long = _place(community, data)
    phone = (data.get("phone") or "").strip()
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationError as exc:
            raise Open311Error(400, "bad_phone", exc.messages[0]) from None
    name = clean_text(
        (data.get("last_name") or "").strip() + (data.get("first_name") or "").strip()
    )[:40]
    with transaction.atomic():
        try:
            matter = matters.matter_submit(
                actor=None,
                text=clean_text(data.get("description") or ""),
                channel=Channel.ONLINE_WEB,
                place=place,
                reporter_name=name,
                reporter_contact=phone,
                category=code,
            )
        except matters.MatterError as exc:
            raise Open311Error(400, exc.code, exc.message) from None
        return Open311Request.objects.create(
            matter=matter,
            key=key,
            token=secrets.token_hex(10),
            lat=lat,
            long=long,
            address_string=clean_text(data.get("address_string") or "").strip()[:200],
        )


def service_notice(filed: Open311Request) -> str:
    matter = filed.matter
    if matter.due_at:
        return _("Received by %(community)s, to be handled by %(due)s.") % {
            "community": matter.community.name,
            "due": timezone.localtime(matter.due_at).strftime("%Y-%m-%d %H:%M"),
        }
    return _("Received by %(community)s.") % {"community": matter.community.name}

"""/api/v1/open311/keys: community staff list, create and revoke their Open311 keys. The new
key is in the answer to its creation only."""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from gongzhi.configuration.rules import own_community_id
from gongzhi.core.apischema import ApiError, ErrorOut
from gongzhi.core.text import CleanStr
from gongzhi.open311 import rules, selectors, services
from gongzhi.places.models import Community

router = Router(tags=["open311"])


class KeyOut(Schema):
    id: int
    name: str
    community_id: int
    community: str = Field(alias="community.name")
    prefix: str = Field(description="The first characters of the key, to tell keys apart")
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself: shown in this answer only")


class KeyIn(Schema):
    name: CleanStr = Field(max_length=200, description="The client, e.g. the name of the app")
    community_id: int | None = Field(
        None, description="Only for superusers; staff always create keys of their community"
    )


def _manager(request) -> None:
    if not rules.can_manage(request.user):
        raise ApiError(403, "forbidden", _("Only community staff manage Open311 keys."))


@router.get("/keys", response={200: list[KeyOut], 403: ErrorOut})
def key_list(request):
    _manager(request)
    return list(selectors.keys_for(request.user))


@router.post("/keys", response={201: NewKeyOut, 400: ErrorOut, 403: ErrorOut})
def key_create(request, payload: KeyIn):
    _manager(request)
    community_id = payload.community_id
    if not request.user.is_superuser or community_id is None:
        community_id = own_community_id(request.user)
    community = Community.objects.filter(pk=community_id).first() if community_id else None
    if community is None:
        raise ApiError(400, "community_required", _("Say which community the key is for."))
    key, raw = services.open311_key_create(
        actor=request.user, community=community, name=payload.name
    )
    key.key = raw
    return 201, key


@router.post(
    "/keys/{key_id}/revoke", response={200: KeyOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
def key_revoke(request, key_id: int):
    _manager(request)
    key = get_object_or_404(selectors.keys_for(request.user), pk=key_id)
    return services.open311_key_revoke(actor=request.user, key=key)

"""The user's own notification preferences over the API:
``GET/PUT /api/v1/me/notification-preferences``."""

import datetime as dt

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ApiError, ErrorOut, LocalTime
from gongzhi.core.identity import mask_phone
from gongzhi.notifications.models import PreferredChannel
from gongzhi.notifications.selectors import phones_of, preference_of
from gongzhi.notifications.services import notification_preference_set

router = Router(tags=["me"])


class PreferenceOut(Schema):
    channel: str = Field(description="sms, wecom_app or none (only the inbox)")
    wecom_user_id: str = Field(description="The WeCom member id messages go to (wecom_app)")
    quiet_start: LocalTime = Field(description="Quiet hours start (local time)")
    quiet_end: LocalTime = Field(description="Quiet hours end; equal to the start: no quiet hours")
    phone_masked: str = Field(description="The mobile number SMS go to, masked; empty if none")


class PreferenceIn(Schema):
    channel: PreferredChannel
    wecom_user_id: str = Field("", max_length=64)
    quiet_start: LocalTime = dt.time(22, 0)
    quiet_end: LocalTime = dt.time(7, 0)


def _out(user, pref) -> dict:
    return {
        "channel": pref.channel,
        "wecom_user_id": pref.wecom_user_id,
        "quiet_start": pref.quiet_start,
        "quiet_end": pref.quiet_end,
        "phone_masked": mask_phone(phones_of([user]).get(user.pk, "")),
    }


@router.get(
    "/notification-preferences", response=PreferenceOut, summary="How I am told beyond the inbox"
)
def get_preferences(request):
    return _out(request.auth, preference_of(request.auth))


@router.put(
    "/notification-preferences",
    response={200: PreferenceOut, 400: ErrorOut},
    summary="Set how I am told beyond the inbox",
)
def put_preferences(request, data: PreferenceIn):
    try:
        pref = notification_preference_set(
            user=request.auth,
            channel=data.channel,
            wecom_user_id=data.wecom_user_id,
            quiet_start=data.quiet_start,
            quiet_end=data.quiet_end,
        )
    except ValidationError as exc:
        raise ApiError(400, exc.code or "invalid", exc.messages[0]) from None
    return _out(request.auth, pref)

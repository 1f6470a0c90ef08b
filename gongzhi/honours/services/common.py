"""What the honours services share: the error, the text rule, the day a service acts on."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.services import ServiceError
from gongzhi.core.text import clean_text
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident

MAX_TEXT = 2000


class HonoursError(ServiceError):
    """A refused write. ``code`` is stable for API clients; ``message`` is translated."""

    statuses = {
        "forbidden": 403,
        "not_a_voter": 403,
        "not_verified": 403,
        "closed": 409,
        "already_voted": 409,
        "bad_state": 409,
    }


def forbidden() -> HonoursError:
    return HonoursError("forbidden", _("You may not do this."))


def today_or(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def checked_text(value: str, *, what: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    """Free text as typed: without control characters, stripped, within ``limit``."""
    value = clean_text(value or "").strip()
    if required and not value:
        raise HonoursError("invalid", _("Please fill in %(what)s.") % {"what": what})
    if len(value) > limit:
        raise HonoursError(
            "invalid",
            _("%(what)s is too long: at most %(max)d characters.") % {"what": what, "max": limit},
        )
    return value


def resident_community_id(resident: Resident) -> int:
    return resident.household.unit.building.compound.community_id


def check_belongs(
    community_id: int,
    *,
    resident: Resident | None,
    partner: Partner | None,
    lives: str,
    partner_of: str,
) -> None:
    """The person a nomination or a profile is about belongs to the community: the resident
    lives in it (else ``lives``), the partner is one of its partners (else ``partner_of``)."""
    if resident is not None and resident_community_id(resident) != community_id:
        raise HonoursError("invalid", lives)
    if partner is not None and partner.community_id != community_id:
        raise HonoursError("invalid", partner_of)

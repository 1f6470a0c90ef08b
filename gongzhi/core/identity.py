"""Validation and masking of mainland ID-card numbers and phone numbers."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
# The first two digits of the area code (GB/T 2260): the provinces, and 71/81/82/83 for Taiwan,
# Hong Kong and Macao (residence permits for their residents use 810000, 820000, 830000).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
# Nobody registered today was born before this.
_EARLIEST_BIRTH = dt.date(1890, 1, 1)


def id_check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    """Return the canonical 18-character ID number or raise a translated ValidationError."""
    value = (value or "").strip().upper().replace(" ", "")
    if not _ID_RE.match(value):
        raise ValidationError(_("ID-card number must be 18 characters: 17 digits and a digit or X"))
    if value[:2] not in _PROVINCES:
        raise ValidationError(
            _("ID-card number starts with %(area)s, which is not an area code of any province")
            % {"area": value[:6]}
        )
    try:
        born = birth_date_from_id(value)
    except ValueError:
        raise ValidationError(_("ID-card number contains an impossible birth date")) from None
    # A person's birthday is a local date (Asia/Shanghai), like their age.
    if born > timezone.localdate():
        raise ValidationError(
            _("ID-card number contains a birth date in the future (%(date)s)")
            % {"date": born.isoformat()}
        )
    if born < _EARLIEST_BIRTH:
        raise ValidationError(_("ID-card number contains an impossible birth date"))
    if id_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("ID-card number check digit is wrong"))
    return value


def birth_date_from_id(value: str) -> dt.date:
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender_from_id(value: str) -> str:
    return "M" if int(value[16]) % 2 else "F"


def normalize_phone(value: str) -> str:
    value = re.sub(r"[\s()+]", "", (value or "").strip())
    if value.startswith("86") and len(value) == 13:
        value = value[2:]
    if _MOBILE_RE.match(value) or _LANDLINE_RE.match(value):
        return value
    raise ValidationError(
        _("Phone must be an 11-digit mobile number or a landline like 027-84841234")
    )


def is_mobile(value: str | None) -> bool:
    """A mainland mobile number (one that can receive an SMS), already normalised."""
    return bool(value) and bool(_MOBILE_RE.match(value))


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) == 11 and value.isdigit():
        return value[:3] + "****" + value[-4:]
    return value[:-4].rstrip("-")[:4] + "****" + value[-4:]

"""The second factor: a six-digit code from an authenticator app (TOTP), with one-time
recovery codes for a lost phone, kept by django-otp.

Staff, officials and superusers must have one when ``GONGZHI_REQUIRE_2FA`` is on (the default
with debug off); anyone may set one up. A login asks for the code after the password whenever
the account has one. A code is good once: django-otp's ``TOTPDevice.last_t`` refuses a code of
a time step already used, and a recovery code is deleted when it is used. Wrong codes make the
next try wait (1, 2, 4 … seconds: django-otp's throttling per device).

A wrong try must be counted even though the service refuses, so the checks run in their own
transaction and the refusal is raised after it commits.
"""

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.errors import AccountError
from gongzhi.accounts.models import AccountAction, AccountEvent, UserRole
from gongzhi.audit import services as audit
from gongzhi.audit.models import AuditAction
from gongzhi.core.addresses import client_address
from gongzhi.core.excel import system_user

# The roles that must have a second factor when it is required (superusers too).
REQUIRED_ROLES = {UserRole.COMMUNITY_STAFF, UserRole.SUBDISTRICT_OFFICIAL}
AUTHENTICATOR = "authenticator"
RECOVERY = "recovery"


def second_factor_required(user) -> bool:
    """Must this user pass a second factor before any page opens?"""
    if not settings.GONGZHI_REQUIRE_2FA or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return profile is not None and profile.role in REQUIRED_ROLES


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def enrolment_device(user) -> TOTPDevice:
    """The authenticator being set up: a new secret until a first code confirms it (the same
    one on every reload of the page, so a scanned QR code stays good)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=AUTHENTICATOR).first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (no script, no image request)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _digits(code: str) -> str:
    return "".join((code or "").split())


def _recovery_form(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _throttled(device) -> AccountError | None:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    wait = (data or {}).get("locked_until")
    seconds = max(1, int((wait - timezone.now()).total_seconds()) + 1) if wait else 1
    return AccountError(
        "otp_throttled",
        _("Too many wrong codes. Wait %(seconds)s seconds and try again.") % {"seconds": seconds},
    )


def _was_used(device: TOTPDevice, code: str) -> bool:
    """Would ``code`` be right if its time step had not been used already?"""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return bool(totp.verify(int(code), device.tolerance, 0))


def _check_totp(device: TOTPDevice, code: str) -> AccountError | None:
    """Verify (and use up) a six-digit code on a locked device; the refusal or None."""
    refusal = _throttled(device)
    if refusal is not None:
        return refusal
    if not (code.isdigit() and len(code) == device.digits):
        device.throttle_increment()
        return AccountError(
            "bad_otp", _("Enter the six-digit code shown in your authenticator app.")
        )
    if device.verify_token(code):
        return None
    if _was_used(device, code):
        return AccountError(
            "otp_used",
            _("This code was already used. Wait for the next code in the app and enter it."),
        )
    return AccountError(
        "bad_otp",
        _("The code is wrong. Check the time on your phone and enter the current code."),
    )


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.GONGZHI_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def second_factor_confirm(*, user, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator being set up with its first code; returns the device and the
    recovery codes, which exist in clear only in this answer (show them once)."""
    code = _digits(code)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False, name=AUTHENTICATOR)
            .first()
        )
        if device is None or has_second_factor(user):
            refusal = AccountError(
                "bad_state", _("Open the set-up page again: there is nothing to confirm.")
            )
        else:
            refusal = _check_totp(device, code)
        if refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(user)
            AccountEvent.objects.create(
                user=user, actor=user, action=AccountAction.SECOND_FACTOR_ON
            )
    if refusal is not None:
        raise refusal
    return device, codes


def second_factor_verify(*, user, code: str):
    """The device that accepts ``code``: the authenticator's six digits, or one of the
    recovery codes (used up). Refused with a clear message otherwise."""
    raw = _digits(code)
    with transaction.atomic():
        if raw.isdigit():
            device = (
                TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            )
            refusal = (
                _check_totp(device, raw)
                if device is not None
                else AccountError("bad_state", _("This account has no second factor."))
            )
        else:
            device = (
                StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            )
            refusal = _throttled(device) if device is not None else None
            if refusal is None and (
                device is None or not device.verify_token(_recovery_form(code))
            ):
                refusal = AccountError(
                    "bad_otp",
                    _("This recovery code is wrong or was already used. Each code works once."),
                )
    if refusal is not None:
        raise refusal
    return device


def recovery_codes_renew(*, user, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), with a current authenticator code."""
    code = _digits(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        refusal = (
            _check_totp(device, code)
            if device is not None
            else AccountError("bad_state", _("Set up the second factor first."))
        )
        if refusal is None:
            codes = _new_recovery_codes(user)
            AccountEvent.objects.create(
                user=user, actor=user, action=AccountAction.RECOVERY_RENEWED
            )
    if refusal is not None:
        raise refusal
    return codes


@transaction.atomic
def second_factor_reset(*, actor, user, request=None) -> None:
    """A superuser (or a command: ``actor`` None) removes a user's authenticator and recovery
    codes (a lost phone): the user sets it up again at the next login. Recorded in the account's
    history and in the audit trail, with the address of ``request`` when there is one."""
    if actor is not None and not actor.is_superuser:
        raise AccountError("forbidden", _("Only an administrator may reset a second factor."))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    address = client_address(request) if request is not None else None
    AccountEvent.objects.create(
        user=user,
        actor=actor,
        action=AccountAction.SECOND_FACTOR_RESET,
        data={"address": address} if address else {},
    )
    audit.record(
        request if request is not None else (actor or system_user()),
        AuditAction.RESET_2FA,
        f"user:{user.pk}",
    )

"""Writes to accounts: login and its throttle, API tokens, SMS codes, residents' own sign-up, the
staff queue, invitation letters and passwords.

Errors are ``AccountError`` (a ``ServiceError``) with a stable ``code`` (used by the API) and a
translated message.
Phone numbers and codes never reach a log line: numbers are stored encrypted (and as a keyed
digest to look them up), codes only as an HMAC.
"""

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts import rules
from gongzhi.accounts.errors import AccountError
from gongzhi.accounts.models import (
    AccountAction,
    AccountEvent,
    ApiToken,
    CodePurpose,
    InvitationCode,
    KnownAddress,
    LoginFailure,
    PhoneCode,
    Profile,
    SignUp,
    SignUpStatus,
    UserPhone,
    UserRole,
)
from gongzhi.accounts.secondfactor import has_second_factor
from gongzhi.core import crypto, rawsql
from gongzhi.core.identity import _MOBILE_RE
from gongzhi.core.services import locked, now_or
from gongzhi.core.text import clean_text
from gongzhi.notifications.outbox import enqueue
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Household

CODE_TTL = dt.timedelta(minutes=10)
CODE_MAX_WRONG = 5
# Codes one number may receive per minute and per hour, and one client address per hour.
CODE_LIMIT_MINUTE = 1
CODE_LIMIT_HOUR = 5
CODE_LIMIT_ADDRESS_HOUR = 20
# More registry residents of one name than this are not scanned for a phone match: the sign-up
# then waits for staff, who know their people better than a guess does.
MATCH_MAX_CANDIDATES = 200


# ---- login ----------------------------------------------------------------------------------


def _account_named(username: str):
    """The user a login form's name means: a username, or the mobile number of an account."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None and _MOBILE_RE.match(username or ""):
        owner = (
            UserPhone.objects.select_related("user").filter(digest=crypto.digest(username)).first()
        )
        user = owner.user if owner is not None else None
    return user


def _wait_minutes(failures, limit: int, now: dt.datetime) -> int:
    """Minutes until fewer than ``limit`` of ``failures`` (a queryset) are inside the window."""
    count = failures.count()
    oldest = failures.order_by("-at").values_list("at", flat=True)[limit - 1 : limit]
    window = dt.timedelta(seconds=settings.GONGZHI_LOGIN_WINDOW_SECONDS)
    if count < limit or not oldest:
        return 0
    return max(1, math.ceil((oldest[0] + window - now).total_seconds() / 60))


def login_throttle(*, username: str, address: str | None, now: dt.datetime | None = None):
    """Refuse a login attempt before its password is checked, or return None.

    * the same username from the same address failed ``GONGZHI_LOGIN_MAX_FAILURES`` times:
      that pair waits (nobody else does);
    * the username failed ``GONGZHI_LOGIN_USER_MAX_FAILURES`` times from anywhere: addresses the
      user never completed a login from wait, unless the account has a second factor (which
      the login asks for anyway); the right password from a known address still works;
    * one address failed ``GONGZHI_LOGIN_ADDRESS_MAX_FAILURES`` times, whatever the usernames.

    The answer never depends on the password, so it tells an attacker nothing about it."""
    now = now_or(now)
    window = dt.timedelta(seconds=settings.GONGZHI_LOGIN_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=now - window)
    by_address = recent.filter(address=address)
    pair = by_address.filter(username=username)
    by_user = recent.filter(username=username)
    counts = recent.aggregate(
        by_address=Count("id", filter=Q(address=address)),
        pair=Count("id", filter=Q(address=address, username=username)),
        by_user=Count("id", filter=Q(username=username)),
    )
    message = _("Too many failed attempts. Please wait %(minutes)s minutes and try again.")
    if address and counts["by_address"] >= settings.GONGZHI_LOGIN_ADDRESS_MAX_FAILURES:
        limit = settings.GONGZHI_LOGIN_ADDRESS_MAX_FAILURES
        minutes = _wait_minutes(by_address, limit, now)
        return AccountError("login_throttled", message % {"minutes": minutes})
    if counts["pair"] >= settings.GONGZHI_LOGIN_MAX_FAILURES:
        minutes = _wait_minutes(pair, settings.GONGZHI_LOGIN_MAX_FAILURES, now)
        return AccountError("login_throttled", message % {"minutes": minutes})
    if counts["by_user"] >= settings.GONGZHI_LOGIN_USER_MAX_FAILURES:
        user = _account_named(username)
        known = (
            user is not None
            and address is not None
            and KnownAddress.objects.filter(user=user, address=address).exists()
        )
        if user is None or not (known or has_second_factor(user)):
            minutes = _wait_minutes(by_user, settings.GONGZHI_LOGIN_USER_MAX_FAILURES, now)
            return AccountError(
                "login_throttled",
                _(
                    "This account has had many failed logins from elsewhere. Log in from a "
                    "device you used before, or wait %(minutes)s minutes and try again."
                )
                % {"minutes": minutes},
            )
    return None


def login_attempt(*, request, username: str, password: str, address: str | None):
    """The user whose password this is, or ``AccountError`` (throttled, or wrong: recorded).

    ``username`` may also be the mobile number of an account (``PhoneBackend``). A user with a
    second factor is not logged in yet: the caller asks for the code (``second_factor_login``)."""
    refusal = login_throttle(username=username, address=address)
    if refusal is not None:
        raise refusal
    user = authenticate(request, username=username, password=password)
    if user is None:
        LoginFailure.objects.create(username=username[:150], address=address)
        raise AccountError("bad_login", _("Wrong username or password."))
    return user


def login_completed(*, user: User, username: str, address: str | None) -> None:
    """A login went through (password and, where set up, the second factor): the pair's
    failures are forgotten and the address becomes one the user is known at."""
    LoginFailure.objects.filter(username=username[:150], address=address).delete()
    if address:
        KnownAddress.objects.update_or_create(
            user=user, address=address, defaults={"last_login_at": timezone.now()}
        )


# ---- API tokens -----------------------------------------------------------------------------

TOKEN_MAX_DAYS = 3650
# A token's last use is written at most this often (not once per request).
TOKEN_TOUCH = dt.timedelta(minutes=1)


def _token_with_user(digest: str) -> ApiToken | None:
    """The token of ``digest`` with its user and the user's profile, in one statement written
    once (``core.rawsql``: every API call authenticates, and a compiled queryset cost more
    than the lookup). As ``select_related("user__profile")`` gives them: ``user.profile``
    raises ``DoesNotExist`` for an account without one."""
    tables, rest = rawsql.written_once(ApiToken, "token_with_user", _token_with_user_sql)
    found = rawsql.select(tables, rest, [digest])
    if not found:
        return None
    token, user, profile = found[0]
    ApiToken._meta.get_field("user").set_cached_value(token, user)  # its user_id is user's id
    profile_field = Profile._meta.get_field("user")
    profile_field.remote_field.set_cached_value(user, profile)
    if profile is not None:
        profile_field.set_cached_value(profile, user)
    return token


def _token_with_user_sql() -> tuple[list, str]:
    User = get_user_model()
    return [(ApiToken, "t"), (User, "u"), (Profile, "p")], (
        f"FROM {rawsql.table(ApiToken)} t JOIN {rawsql.table(User)} u ON u.id = t.user_id "
        f"LEFT JOIN {rawsql.table(Profile)} p ON p.user_id = u.id WHERE t.digest = %s"
    )


def token_user(raw: str):
    """The active user owning this bearer token; None for an unknown token; ``AccountError``
    (401) for one that expired or was revoked."""
    if not raw:
        return None
    token = _token_with_user(ApiToken.hash(raw))
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.revoked_at is not None:
        raise AccountError("token_revoked", _("This API token was revoked. Use a new one."))
    if token.expires_at <= now:
        raise AccountError(
            "token_expired",
            _("This API token expired on %(day)s. Create a new one.")
            % {"day": timezone.localtime(token.expires_at).date().isoformat()},
        )
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def api_token_issue(*, user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A new bearer token of ``user``; the raw value is returned once (only a digest is kept)."""
    name = clean_text(name or "").strip()
    if not name:
        raise AccountError("bad_name", _("Give the token a name (what it is for)."))
    max_length = ApiToken._meta.get_field("name").max_length  # a CharField's: never None
    if max_length is not None and len(name) > max_length:
        raise AccountError("bad_name", _("The token name is too long."))
    if days is not None and not 1 <= days <= TOKEN_MAX_DAYS:
        raise AccountError(
            "bad_days",
            _("A token is valid for 1 to %(max)s days.") % {"max": TOKEN_MAX_DAYS},
        )
    token, raw = ApiToken.issue(user=user, name=name, days=days)
    AccountEvent.objects.create(
        user=user, actor=user, action=AccountAction.TOKEN_CREATED, data={"token": token.pk}
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """The owner (or a superuser) ends a token at once."""
    token = locked(token)
    if token.user_id != actor.pk and not actor.is_superuser:
        raise AccountError("forbidden", _("You may not revoke this token."))
    if token.revoked_at is not None:
        raise AccountError("already_done", _("This token was already revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    AccountEvent.objects.create(
        user=token.user,
        actor=actor,
        action=AccountAction.TOKEN_REVOKED,
        data={"token": token.pk},
    )
    return token


# ---- phone numbers and SMS codes ------------------------------------------------------------


def clean_mobile(phone: str) -> str:
    """The 11-digit mainland mobile number, or an AccountError (codes go by SMS: no landlines)."""
    value = "".join(ch for ch in (phone or "") if ch.isdigit())
    if value.startswith("86") and len(value) == 13:
        value = value[2:]
    if not _MOBILE_RE.match(value):
        raise AccountError("bad_phone", _("Enter an 11-digit mobile number, e.g. 13812345678."))
    return value


def _code_hash(phone: str, purpose: str, code: str) -> str:
    message = f"{purpose}:{phone}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def phone_in_use(phone: str) -> bool:
    return UserPhone.objects.filter(digest=crypto.digest(phone)).exists()


_CODE_SUBJECTS = {
    CodePurpose.SIGN_UP: gettext_lazy("Your Gongzhi sign-up code"),
    CodePurpose.RESET: gettext_lazy("Your Gongzhi password reset code"),
    CodePurpose.REPORT: gettext_lazy("Your Gongzhi code to report a problem"),
}


@transaction.atomic
def phone_code_send(
    *, phone: str, purpose: str, address: str | None, now: dt.datetime | None = None
) -> None:
    """Queue a six-digit code to ``phone`` through the outbox (urgent: codes ignore quiet hours).

    Refused with ``rate_limited`` (429) past the per-number and per-address limits. A sign-up
    code for a number that already has an account is refused; a reset code for a number without
    one is silently not sent, so the answer does not tell who has an account.
    """
    phone = clean_mobile(phone)
    now = now or timezone.now()
    digest = crypto.digest(phone)
    recent = PhoneCode.objects.filter(created_at__gt=now - dt.timedelta(hours=1))
    if (
        recent.filter(phone_digest=digest, created_at__gt=now - dt.timedelta(minutes=1)).count()
        >= CODE_LIMIT_MINUTE
    ):
        raise AccountError(
            "rate_limited", _("A code was just sent. Please wait a minute and try again."), 429
        )
    if recent.filter(phone_digest=digest).count() >= CODE_LIMIT_HOUR:
        raise AccountError(
            "rate_limited",
            _("Too many codes for this number. Please try again in an hour."),
            429,
        )
    if address and recent.filter(address=address).count() >= CODE_LIMIT_ADDRESS_HOUR:
        raise AccountError(
            "rate_limited", _("Too many codes from this network. Please try again later."), 429
        )
    if purpose == CodePurpose.SIGN_UP and phone_in_use(phone):
        raise AccountError(
            "phone_in_use", _("This number already has an account. Log in or reset the password.")
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    PhoneCode.objects.create(
        phone_digest=digest,
        purpose=purpose,
        code_hash=_code_hash(phone, purpose, code),
        address=address,
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    if purpose == CodePurpose.RESET and not phone_in_use(phone):
        return
    subject = str(_CODE_SUBJECTS[CodePurpose(purpose)])
    body = _("Your code is %(code)s. It is valid for 10 minutes; do not share it.") % {"code": code}
    enqueue(
        to=phone,
        channel="sms",
        subject=subject,
        body=body,
        kind=f"{purpose}_code",
        urgent=True,
        params={"code": code},
    )


def _code_take(*, phone: str, purpose: str, code: str, now: dt.datetime) -> AccountError | None:
    """Use up the newest live code of ``phone`` for ``purpose`` if ``code`` matches it.

    Returns the error instead of raising it, so that the caller can let the wrong try be
    counted (committed) before refusing."""
    row = (
        PhoneCode.objects.select_for_update()
        .filter(
            phone_digest=crypto.digest(phone),
            purpose=purpose,
            used_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        return AccountError(
            "bad_code", _("The code has expired or was already used. Request a new one.")
        )
    if row.attempts >= CODE_MAX_WRONG:
        return AccountError("bad_code", _("Too many wrong codes. Request a new one."))
    code = (code or "").strip()
    if not hmac.compare_digest(row.code_hash, _code_hash(phone, purpose, code)):
        PhoneCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        return AccountError("bad_code", _("The code is wrong. Check the SMS and try again."))
    row.used_at = now
    row.save(update_fields=["used_at"])
    return None


def phone_code_verify(*, phone: str, purpose: str, code: str) -> str:
    """Use up a code on its own (the anonymous scan-to-report); returns the clean number.

    Runs in its own transaction so that a wrong try is counted even though it raises: call it
    outside the caller's transaction, after checking everything else."""
    phone = clean_mobile(phone)
    with transaction.atomic():
        error = _code_take(phone=phone, purpose=purpose, code=code, now=timezone.now())
    if error is not None:
        raise error
    return phone


# ---- sign-up --------------------------------------------------------------------------------


@dataclass
class SignUpResult:
    user: object
    signup: SignUp

    @property
    def linked(self) -> bool:
        return self.signup.status == SignUpStatus.LINKED


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise AccountError(
            "bad_name", _("Enter your real name as registered (at most 40 characters).")
        )
    return name


def _check_password(password: str, user: User | None = None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise AccountError("bad_password", " ".join(error.messages)) from None


def _registry_match(*, name: str, phone: str) -> Resident | None:
    """The one registry resident with this name and phone who has no account yet, else None.

    Phones are encrypted, so candidates are found by name (indexed) and their phones compared
    after decryption."""
    candidates = list(
        Resident.objects.filter(name=name)
        .exclude(pk__in=Profile.objects.exclude(resident=None).values("resident_id"))
        .select_related("household__unit__building__compound")[: MATCH_MAX_CANDIDATES + 1]
    )
    if len(candidates) > MATCH_MAX_CANDIDATES:
        return None
    matches = [resident for resident in candidates if resident.phone == phone]
    return matches[0] if len(matches) == 1 else None


def _link(
    *, signup: SignUp, resident: Resident, actor: User | None, how: str, now: dt.datetime
) -> None:
    community_id = resident.household.unit.building.compound.community_id
    Profile.objects.create(
        user=signup.user, role=UserRole.RESIDENT, resident=resident, community_id=community_id
    )
    signup.status = SignUpStatus.LINKED
    signup.decided_at = now
    signup.decided_by = actor
    signup.save(update_fields=["status", "decided_at", "decided_by"])
    AccountEvent.objects.create(
        user=signup.user, actor=actor, action="linked", data={"resident": resident.pk, "how": how}
    )


def account_sign_up(
    *,
    phone: str,
    code: str,
    name: str,
    password: str,
    community: Community | None = None,
    letter_code: str = "",
) -> SignUpResult:
    """A resident creates their own account with a number proven by an SMS code.

    Linked at once when the name and number match exactly one registry resident (or the name
    matches a member of the household of ``letter_code``); otherwise the sign-up waits for the
    staff of ``community`` (or the letter's or matched community). Everything is checked before
    the code is used up; a wrong code is counted (five wrong tries end the code) and nothing
    is created.
    """
    phone = clean_mobile(phone)
    name = _clean_name(name)
    User = get_user_model()
    _check_password(password, User(first_name=name))
    if phone_in_use(phone):
        raise AccountError(
            "phone_in_use", _("This number already has an account. Log in or reset the password.")
        )
    letter = _letter_find(letter_code) if letter_code else None
    resident = _registry_match(name=name, phone=phone)
    if resident is None and letter is None and community is None:
        raise AccountError(
            "community_required", _("Choose your community so that its staff can confirm you.")
        )
    now = timezone.now()
    with transaction.atomic():
        error = _code_take(phone=phone, purpose=CodePurpose.SIGN_UP, code=code, now=now)
        if error is None:
            result = _create_account(
                phone=phone,
                name=name,
                password=password,
                community=community,
                resident=resident,
                letter=letter,
                now=now,
            )
    if error is not None:
        raise error
    return result


def _create_account(*, phone, name, password, community, resident, letter, now) -> SignUpResult:
    User = get_user_model()
    # The username is never shown (pages show the name); the number stays out of auth_user.
    user = User.objects.create_user(
        username="r" + secrets.token_hex(6), password=password, first_name=name
    )
    try:
        with transaction.atomic():
            UserPhone.objects.create(user=user, phone=phone, digest=crypto.digest(phone))
    except IntegrityError:
        raise AccountError(
            "phone_in_use", _("This number already has an account. Log in or reset the password.")
        ) from None
    if resident is not None:
        community = resident.household.unit.building.compound.community
    elif letter is not None:
        community = letter.building.compound.community
    signup = SignUp.objects.create(user=user, name=name, community=community)
    AccountEvent.objects.create(user=user, actor=user, action="signed_up")
    if resident is not None:
        _link(signup=signup, resident=resident, actor=None, how="registry", now=now)
    elif letter is not None:
        _letter_apply(letter=letter, signup=signup, now=now)
    return SignUpResult(user=user, signup=signup)


@transaction.atomic
def signup_confirm(*, actor: User, signup: SignUp, resident: Resident) -> SignUp:
    """Staff link a waiting sign-up to a resident of their registry."""
    signup = SignUp.objects.select_for_update().select_related("user").get(pk=signup.pk)
    if not rules.can_decide_signup(actor, signup) or not rules.can_link_resident(actor, resident):
        raise AccountError("forbidden", _("You may not confirm this sign-up."), 403)
    if signup.status != SignUpStatus.PENDING:
        raise AccountError("bad_state", _("This sign-up was already decided."), 409)
    if Profile.objects.filter(resident=resident).exists():
        raise AccountError("resident_taken", _("This resident already has an account."), 409)
    _link(signup=signup, resident=resident, actor=actor, how="staff", now=timezone.now())
    return signup


@transaction.atomic
def signup_reject(*, actor: User, signup: SignUp, note: str = "") -> SignUp:
    """Staff refuse a sign-up: the account is closed and its number freed for a new try."""
    signup = SignUp.objects.select_for_update().select_related("user").get(pk=signup.pk)
    if not rules.can_decide_signup(actor, signup):
        raise AccountError("forbidden", _("You may not reject this sign-up."), 403)
    if signup.status != SignUpStatus.PENDING:
        raise AccountError("bad_state", _("This sign-up was already decided."), 409)
    signup.status = SignUpStatus.REJECTED
    signup.decided_at = timezone.now()
    signup.decided_by = actor
    signup.note = (note or "").strip()[:200]
    signup.save(update_fields=["status", "decided_at", "decided_by", "note"])
    user = signup.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    UserPhone.objects.filter(user=user).delete()
    AccountEvent.objects.create(
        user=user, actor=actor, action="rejected", data={"note": signup.note}
    )
    return signup


# ---- invitation letters ---------------------------------------------------------------------


def _letter_digest(code: str) -> str:
    normalized = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hmac.new(
        settings.SECRET_KEY.encode(), b"letter:" + normalized.encode(), hashlib.sha256
    ).hexdigest()


# No 0/O, 1/I/L: the code is typed from paper.
_LETTER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _letter_new_code() -> str:
    raw = "".join(secrets.choice(_LETTER_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _letter_find(code: str) -> InvitationCode:
    letter = (
        InvitationCode.objects.select_related("household", "building__compound")
        .filter(digest=_letter_digest(code))
        .first()
    )
    if letter is None or letter.revoked_at is not None:
        raise AccountError(
            "bad_letter", _("This invitation code is not valid (letters reprinted since?).")
        )
    if letter.used_at is not None:
        raise AccountError("bad_letter", _("This invitation code was already used."))
    return letter


def _letter_apply(*, letter: InvitationCode, signup: SignUp, now: dt.datetime) -> None:
    """Use the letter for ``signup``: link to the household member of that name, else let the
    sign-up wait for staff with the household known."""
    used = InvitationCode.objects.filter(
        pk=letter.pk, used_at__isnull=True, revoked_at__isnull=True
    )
    if not used.update(used_at=now, used_by=signup.user):
        raise AccountError("bad_letter", _("This invitation code was already used."))
    AccountEvent.objects.create(
        user=signup.user,
        actor=signup.user,
        action="letter_used",
        data={"household": letter.household_id},
    )
    members = list(
        letter.household.residents.filter(name=signup.name).exclude(
            pk__in=Profile.objects.exclude(resident=None).values("resident_id")
        )
    )
    if len(members) == 1:
        _link(signup=signup, resident=members[0], actor=None, how="letter", now=now)
        return
    signup.household = letter.household
    signup.community = letter.building.compound.community
    signup.save(update_fields=["household", "community"])


@transaction.atomic
def letter_redeem(*, user: User, code: str) -> SignUp:
    """A signed-up person not yet linked uses a household letter."""
    signup = SignUp.objects.select_for_update().filter(user=user).first()
    if signup is None or signup.status != SignUpStatus.PENDING:
        raise AccountError(
            "bad_state",
            _("Only an account that is waiting for confirmation can use a letter."),
            409,
        )
    _letter_apply(letter=_letter_find(code), signup=signup, now=timezone.now())
    return signup


@transaction.atomic
def letters_issue(*, actor: User | None, building: Building) -> list[tuple[Household, str]]:
    """New one-time codes for every household of ``building``; earlier unused codes are revoked.

    Returns (household, code) pairs in the order of the letters; only digests are stored, so
    the codes exist in clear only in the PDF made from this answer."""
    if actor is not None and not rules.can_print_letters(actor, building):
        raise AccountError("forbidden", _("You may not print letters for this building."), 403)
    now = timezone.now()
    revoked = InvitationCode.objects.filter(
        building=building, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    households = list(
        Household.objects.filter(unit__building=building)
        .select_related("unit")
        .order_by("unit__number", "unit__name", "room")
    )
    if not households:
        raise AccountError("no_households", _("This building has no households registered."))
    letters = []
    for household in households:
        code = _letter_new_code()
        InvitationCode.objects.create(
            household=household, building=building, digest=_letter_digest(code), created_by=actor
        )
        letters.append((household, code))
    AccountEvent.objects.create(
        user=None,
        actor=actor,
        action="letters_printed",
        data={"building": building.pk, "letters": len(letters), "revoked": revoked},
    )
    return letters


# ---- passwords ------------------------------------------------------------------------------


def password_reset_by_code(*, phone: str, code: str, password: str):
    """Set a new password with a reset code sent to the account's number."""
    phone = clean_mobile(phone)
    owner = UserPhone.objects.select_related("user").filter(digest=crypto.digest(phone)).first()
    user = owner.user if owner else None
    _check_password(password, user)
    now = timezone.now()
    with transaction.atomic():
        error = _code_take(phone=phone, purpose=CodePurpose.RESET, code=code, now=now)
        if error is None and user is not None:
            user.set_password(password)
            user.save(update_fields=["password"])
            AccountEvent.objects.create(user=user, actor=user, action="password_reset")
    if error is not None:
        raise error
    if user is None or not user.is_active:
        # Same words as a wrong code: the answer must not tell who has an account.
        raise AccountError(
            "bad_code", _("The code has expired or was already used. Request a new one.")
        )
    return user


def password_changed(*, user: User) -> None:
    """Record a password change made on the change page (Django's view saves the password)."""
    AccountEvent.objects.create(user=user, actor=user, action="password_changed")


@transaction.atomic
def account_access_reset(*, actor: User, resident: Resident, address: str | None = None):
    """Staff close a resident's access: the password stops working and a reset code goes to the
    account's number, so only the person holding that phone can get back in."""
    if not rules.can_link_resident(actor, resident):
        raise AccountError("forbidden", _("You may not reset this resident's access."), 403)
    profile = Profile.objects.select_related("user__phone").filter(resident=resident).first()
    if profile is None:
        raise AccountError("no_account", _("This resident has no account."), 404)
    user = profile.user
    user.set_unusable_password()
    user.save(update_fields=["password"])
    AccountEvent.objects.create(user=user, actor=actor, action="access_reset")
    phone = getattr(user, "phone", None)
    if phone is not None:
        phone_code_send(phone=phone.phone, purpose=CodePurpose.RESET, address=address)
    return user

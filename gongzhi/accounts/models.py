"""Accounts: every user has a role and a scope (the place they work in).

Roles decide what a user may *do*; the scope decides *where*. The scope is exactly one of a
subdistrict, a community, a compound or a grid (a database constraint holds this).
"""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField, exactly_one
from gongzhi.core.identity import mask_phone
from gongzhi.core.places import Place
from gongzhi.core.roles import UserRole  # the roles live below the apps that read them
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound, Grid, Household, Subdistrict


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("role"), max_length=12, choices=UserRole.choices)
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("subdistrict")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("compound")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("grid")
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("resident")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("partner")
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=exactly_one("subdistrict", "community", "compound", "grid"),
                name="profile_exactly_one_scope",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="resident") | models.Q(resident__isnull=False),
                name="profile_resident_has_resident",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="partner") | models.Q(partner__isnull=False),
                name="profile_partner_has_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def place(self) -> Place:
        for level in ("grid", "compound", "community", "subdistrict"):
            place_id = getattr(self, f"{level}_id")
            if place_id:
                return Place(level, place_id)
        raise ValueError("profile without scope")

    @property
    def community_id_resolved(self) -> int | None:
        """The community the user works in (None for subdistrict officials)."""
        if self.community_id:
            return self.community_id
        if self.compound_id:
            return self.compound.community_id
        if self.grid_id:
            return self.grid.community_id
        return None


class LoginFailure(models.Model):
    """One failed login; recent rows throttle further attempts (works across processes)."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"


class KnownAddress(models.Model):
    """An address a user completed a login from. While their username is being guessed from
    many addresses, the right password from one of these still gets in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    address = models.GenericIPAddressField()
    last_login_at = models.DateTimeField()

    class Meta:
        verbose_name = _("known address")
        verbose_name_plural = _("known addresses")
        constraints = [
            models.UniqueConstraint(fields=["user", "address"], name="known_address_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.address}"


class ApiToken(models.Model):
    """A bearer token for integrations. Only a SHA-256 digest of the token is stored.

    It works until ``expires_at`` or until its owner (or an admin) revokes it; ``last_used_at``
    is updated at most once a minute."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=60)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str, days: int | None = None) -> tuple["ApiToken", str]:
        """A new token of ``user`` valid for ``days`` (default ``GONGZHI_TOKEN_DAYS``); the raw
        value is returned once and never stored."""
        raw = "gz_" + secrets.token_urlsafe(32)
        days = settings.GONGZHI_TOKEN_DAYS if days is None else days
        expires_at = timezone.now() + dt.timedelta(days=days)
        token = cls.objects.create(
            user=user, name=name, digest=cls.hash(raw), expires_at=expires_at
        )
        return token, raw

    def is_live(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class CodePurpose(models.TextChoices):
    """What a one-time SMS code may be used for; a code is good for its purpose only."""

    SIGN_UP = "signup", _("sign-up")
    RESET = "reset", _("password reset")
    REPORT = "report", _("scan-to-report")


class PhoneCode(models.Model):
    """A six-digit code sent by SMS. Neither the number nor the code is stored in clear: the
    number as the project's keyed digest (to find and rate-limit it), the code as an HMAC bound
    to the number and purpose (so a code sent to one number is useless for another)."""

    phone_digest = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=8, choices=CodePurpose.choices)
    code_hash = models.CharField(max_length=64)
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} @ {self.created_at:%Y-%m-%d %H:%M}"


class UserPhone(models.Model):
    """The mobile number an account signs in and resets its password with (one account each)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone"
    )
    phone = EncryptedTextField(_("phone"))
    digest = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = _("account phone")
        verbose_name_plural = _("account phones")

    def __str__(self) -> str:
        return mask_phone(self.phone)


class SignUpStatus(models.TextChoices):
    PENDING = "pending", _("waiting for staff")
    LINKED = "linked", _("linked")
    REJECTED = "rejected", _("rejected")


class SignUp(models.Model):
    """A resident's own sign-up. Linked at once when the registry knows the person; otherwise
    it waits in the queue of the chosen community's staff, who link it to a resident or
    reject it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signup"
    )
    name = models.CharField(_("name"), max_length=40)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="signups", verbose_name=_("community")
    )
    # Set when an invitation letter named the household but no member had this name.
    household = models.ForeignKey(
        Household, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("household")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=SignUpStatus.choices, default=SignUpStatus.PENDING
    )
    created_at = models.DateTimeField(_("signed up"), auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        indexes = [models.Index(fields=["community", "status"], name="signup_queue_idx")]

    def __str__(self) -> str:
        return self.name


class InvitationCode(models.Model):
    """One household's code on a printed letter. Stored as a digest; printing the building's
    letters again revokes the codes not used yet."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="invitation_codes"
    )
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation code")
        verbose_name_plural = _("invitation codes")
        indexes = [models.Index(fields=["building", "used_at"], name="invitation_building_idx")]

    def __str__(self) -> str:
        return f"{self.household_id} @ {self.created_at:%Y-%m-%d}"


class AccountAction(models.TextChoices):
    SIGNED_UP = "signed_up", _("signed up")
    LINKED = "linked", _("linked to a resident")
    REJECTED = "rejected", _("sign-up rejected")
    LETTER_USED = "letter_used", _("invitation letter used")
    LETTERS_PRINTED = "letters_printed", _("invitation letters printed")
    PASSWORD_CHANGED = "password_changed", _("password changed")
    PASSWORD_RESET = "password_reset", _("password reset by SMS code")
    ACCESS_RESET = "access_reset", _("access reset by staff")
    SECOND_FACTOR_ON = "2fa_enrolled", _("second factor set up")
    SECOND_FACTOR_RESET = "2fa_reset", _("second factor reset")
    RECOVERY_RENEWED = "recovery_renewed", _("new recovery codes")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")


class AccountEvent(models.Model):
    """Append-only history of an account: sign-up, linking, staff decisions, password resets,
    letters printed, second factor and tokens — who did what to whom, and when. The database
    refuses updates and deletes (``AppendOnly``); deleting a user only clears the links."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="account_events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=AccountAction.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} @ {self.at:%Y-%m-%d %H:%M}"

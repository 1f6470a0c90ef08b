"""Accounts: every user has a role and a scope (the place they work in).

Roles decide what a user may *do*; the scope decides *where*. The scope is exactly one of a
subdistrict, a community, a compound or a grid (a database constraint holds this).
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.places import Place
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Community, Compound, Grid, Subdistrict


class UserRole(models.TextChoices):
    SUBDISTRICT_OFFICIAL = "official", _("subdistrict official")
    COMMUNITY_STAFF = "staff", _("community staff")
    GRID_WORKER = "grid_worker", _("grid worker")
    PARTNER = "partner", _("partner")
    RESIDENT = "resident", _("resident")


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
                condition=(
                    models.Q(
                        subdistrict__isnull=False,
                        community__isnull=True,
                        compound__isnull=True,
                        grid__isnull=True,
                    )
                    | models.Q(
                        subdistrict__isnull=True,
                        community__isnull=False,
                        compound__isnull=True,
                        grid__isnull=True,
                    )
                    | models.Q(
                        subdistrict__isnull=True,
                        community__isnull=True,
                        compound__isnull=False,
                        grid__isnull=True,
                    )
                    | models.Q(
                        subdistrict__isnull=True,
                        community__isnull=True,
                        compound__isnull=True,
                        grid__isnull=False,
                    )
                ),
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


class ApiToken(models.Model):
    """A bearer token for integrations. Only a SHA-256 digest of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=60)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str) -> tuple["ApiToken", str]:
        raw = "gz_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=cls.hash(raw)), raw

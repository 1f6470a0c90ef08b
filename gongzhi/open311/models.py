"""Open311 GeoReport v2 clients: their API keys, every call they make, the requests they filed
and the area each community answers for (see docs/open311.md).

The service requests themselves are matters; ``Open311Request`` only keeps what the matter has
no column for (the client, the token, the coordinates it sent).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.models import ApiToken
from gongzhi.core.places import PlacePaths
from gongzhi.matters.models import Matter
from gongzhi.places.models import Community


class Open311Key(models.Model):
    """The API key of one client, good for one community. Only a SHA-256 digest is stored."""

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="open311_keys",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=60)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, so that staff can tell keys apart without the key.
    prefix = models.CharField(max_length=12, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def hash(raw: str) -> str:
        return ApiToken.hash(raw)

    @staticmethod
    def new_raw() -> str:
        return "o311_" + secrets.token_urlsafe(32)


class Open311Call(models.Model):
    """One call that carried an ``api_key`` (recognised or not), kept for the record and to
    rate-limit: rows are only ever added."""

    key = models.ForeignKey(
        Open311Key, on_delete=models.CASCADE, null=True, blank=True, related_name="calls"
    )
    at = models.DateTimeField(db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    status_code = models.PositiveSmallIntegerField()
    error_code = models.CharField(max_length=40, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    matter = models.ForeignKey(
        Matter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Open311 call")
        verbose_name_plural = _("Open311 calls")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["key", "at"], name="open311_call_key_at_idx"),
            models.Index(fields=["address", "at"], name="open311_call_address_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status_code}"


class Open311Request(models.Model):
    """What an Open311 client sent with a matter beyond the matter's own columns."""

    matter = models.OneToOneField(
        Matter, on_delete=models.CASCADE, primary_key=True, related_name="open311_request"
    )
    key = models.ForeignKey(Open311Key, on_delete=models.PROTECT, related_name="requests")
    token = models.CharField(max_length=40, unique=True)
    lat = models.FloatField(null=True, blank=True)
    long = models.FloatField(null=True, blank=True)
    address_string = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__isnull=True, long__isnull=True)
                | models.Q(lat__isnull=False, long__isnull=False),
                name="open311_request_lat_long_together",
            )
        ]

    def __str__(self) -> str:
        return self.token


class CommunityArea(models.Model):
    """The box of latitudes and longitudes a community answers for: places in Gongzhi have no
    coordinates, so a request located only by lat/long is placed in the community whose box
    holds the point (WGS-84, as Open311 clients send)."""

    community = models.OneToOneField(
        Community,
        on_delete=models.CASCADE,
        related_name="open311_area",
        verbose_name=_("community"),
    )
    south = models.FloatField(_("southern latitude"))
    north = models.FloatField(_("northern latitude"))
    west = models.FloatField(_("western longitude"))
    east = models.FloatField(_("eastern longitude"))

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("community area")
        verbose_name_plural = _("community areas")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(south__lte=models.F("north"), west__lte=models.F("east"))
                & models.Q(south__gte=-90, north__lte=90, west__gte=-180, east__lte=180),
                name="open311_area_box_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.community}: {self.south},{self.west} – {self.north},{self.east}"

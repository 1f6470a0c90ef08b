"""The roles a user's profile holds. Defined here, below every domain app, because the
visibility rules (``core.scope``) decide by role and places, people and partners read them;
``accounts.models.Profile.role`` takes its choices from here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UserRole(models.TextChoices):
    SUBDISTRICT_OFFICIAL = "official", _("subdistrict official")
    COMMUNITY_STAFF = "staff", _("community staff")
    GRID_WORKER = "grid_worker", _("grid worker")
    PARTNER = "partner", _("partner")
    RESIDENT = "resident", _("resident")

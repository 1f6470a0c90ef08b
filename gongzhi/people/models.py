"""Residents (居民): who lives in which household, with personal data encrypted at rest."""

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core import crypto
from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.identity import mask_id_number, mask_phone
from gongzhi.core.places import PlacePaths
from gongzhi.places.models import Household


class Tag(models.Model):
    """An editable label for residents that need attention: 独居老人, 高龄, 低保 …"""

    name = models.CharField(_("name"), max_length=30, unique=True)
    # Sensitive personal information (PIPL art. 28: health, social assistance, minors): shown
    # only to the roles ``rules.may_see_sensitive_tags`` names.
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Shown only to community staff, officials and grid workers."),
    )

    class Meta:
        verbose_name = _("resident tag")
        verbose_name_plural = _("resident tags")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Gender(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Relation(models.TextChoices):
    HEAD = "head", _("household head")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    GRANDCHILD = "grandchild", _("grandchild")
    OTHER = "other", _("other")


class ResidentQuerySet(models.QuerySet):
    def with_place(self):
        return self.select_related("household__unit__building__compound")


class Resident(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="residents", verbose_name=_("household")
    )
    name = models.CharField(_("name"), max_length=40)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedTextField(_("ID-card number"), blank=True, default="")
    # Keyed digest of the ID number: lets the database keep one person once, without clear text.
    id_number_digest = models.CharField(max_length=64, null=True, blank=True, editable=False)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    relation = models.CharField(
        _("relation to head"), max_length=12, choices=Relation.choices, default=Relation.OTHER
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="residents", verbose_name=_("tags"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ResidentQuerySet.as_manager()

    PLACE = PlacePaths(
        subdistrict="household__unit__building__compound__community__subdistrict",
        community="household__unit__building__compound__community",
        compound="household__unit__building__compound",
        building="household__unit__building",
        household="household",
    )

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household", "id"]
        constraints = [
            models.UniqueConstraint(fields=["id_number_digest"], name="resident_id_number_unique"),
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(relation="head"),
                name="one_head_per_household",
            ),
        ]
        indexes = [models.Index(fields=["name"], name="resident_name_idx")]

    def __str__(self) -> str:
        return self.name

    def set_id_number(self, value: str) -> None:
        """Set the (already validated) ID number and its digest together."""
        self.id_number = value
        self.id_number_digest = crypto.digest(value) if value else None

    @property
    def is_head(self) -> bool:
        return self.relation == Relation.HEAD

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def age(self, today: dt.date | None = None) -> int:
        today = today or dt.date.today()  # noqa: DTZ011 - a person's age uses the local date
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

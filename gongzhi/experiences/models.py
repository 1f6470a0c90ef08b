"""The experience library (草根经验 / 群众智慧): what worked, told so others can reuse it.

An entry belongs to a community (optionally a compound and a building), carries tags and may
name the matter, meeting, project or mediation case it came from.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.places.models import PlacedModel


class ExperienceTag(models.Model):
    name = models.CharField(_("name"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("experience tag")
        verbose_name_plural = _("experience tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Experience(PlacedModel):
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("experience"), max_length=4000)
    tags = models.ManyToManyField(
        ExperienceTag, blank=True, related_name="experiences", verbose_name=_("tags")
    )
    matter = models.ForeignKey(
        "matters.Matter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experiences",
        verbose_name=_("matter"),
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experiences",
        verbose_name=_("meeting"),
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experiences",
        verbose_name=_("micro-project"),
    )
    mediation_case = models.ForeignKey(
        "mediation.MediationCase",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experiences",
        verbose_name=_("mediation case"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    contributor = models.CharField(_("told by"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("experience")
        verbose_name_plural = _("experiences")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(building__isnull=True) | models.Q(compound__isnull=False),
                name="experience_building_in_compound",
            )
        ]

    def __str__(self) -> str:
        return self.title

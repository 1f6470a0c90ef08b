"""Monthly snapshots of the collaboration network's metrics, one row per month × scope.

A scope is a community (``compound`` empty) or one of its compounds. The rows are written by
``services.network_snapshot_refresh`` (run by ``gongzhi network_snapshot``) and read by
dashboards and trends; nothing else changes them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.places import PlacePaths
from gongzhi.places.models import Community, Compound


class WorkKind(models.TextChoices):
    """What two actors did together: the edge kinds of the network."""

    MATTER = "matter", _("matter")
    MEETING = "meeting", _("meeting")
    PROJECT = "project", _("micro-project")
    MEDIATION = "mediation", _("mediation case")
    MEMBERSHIP = "membership", _("team membership")


class NodeKind(models.TextChoices):
    PARTNER = "partner", _("partner")
    TEAM = "team", _("team")
    ORGANISATION = "organisation", _("organisation")


class NetworkSnapshot(models.Model):
    month = models.DateField(_("month"), help_text=_("The first day of the month"))
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("compound"),
    )
    nodes = models.PositiveIntegerField(_("actors"))
    edges = models.PositiveIntegerField(_("links"))
    density = models.FloatField(_("density"))
    components = models.PositiveIntegerField(_("components"))
    largest_share = models.FloatField(_("share in the largest component"))
    cross_circle_share = models.FloatField(_("links across circles"), null=True, blank=True)
    cross_kind_share = models.FloatField(_("links across kinds of actor"), null=True, blank=True)
    isolated_teams = models.PositiveIntegerField(_("isolated teams"))
    brokers = models.JSONField(_("brokers"), default=list, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    PLACE = PlacePaths(
        subdistrict="community__subdistrict", community="community", compound="compound"
    )

    class Meta:
        verbose_name = _("network snapshot")
        verbose_name_plural = _("network snapshots")
        ordering = ["-month", "community", "compound"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "community"],
                condition=models.Q(compound__isnull=True),
                name="network_snapshot_community_unique",
            ),
            models.UniqueConstraint(
                fields=["month", "compound"],
                condition=models.Q(compound__isnull=False),
                name="network_snapshot_compound_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(density__gte=0, density__lte=1)
                & models.Q(largest_share__gte=0, largest_share__lte=1),
                name="network_snapshot_shares_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.compound or self.community}"

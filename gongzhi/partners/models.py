"""Governance partners (治理合伙人) of the three circles, their teams, and organisations.

A partner's *kind* fixes its circle and the level of place it is anchored at:

| kind          | circle           | anchored at |
|---------------|------------------|-------------|
| neighbour 睦邻 | neighbourhood 邻里圈 | building  |
| construction 建设 | living 生活圈   | compound    |
| team 团队     | service 服务圈     | community   |

The anchors are stored as community / compound / building columns and a database constraint
keeps them consistent with the kind.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.identity import mask_phone
from gongzhi.core.places import PlacePaths
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound, Subdistrict


class Skill(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A role the paper names: 楼栋长, 楼栋党小组组长, 党员中心户, 网格员, 下沉干部 …"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("partner role")
        verbose_name_plural = _("partner roles")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PartnerKind(models.TextChoices):
    NEIGHBOUR = "neighbour", _("neighbour partner")
    CONSTRUCTION = "construction", _("construction partner")
    TEAM = "team", _("team partner")


CIRCLES = {
    PartnerKind.NEIGHBOUR: _("neighbourhood circle"),
    PartnerKind.CONSTRUCTION: _("living circle"),
    PartnerKind.TEAM: _("service circle"),
}
ANCHOR_LEVEL = {
    PartnerKind.NEIGHBOUR: "building",
    PartnerKind.CONSTRUCTION: "compound",
    PartnerKind.TEAM: "community",
}


class PartnerStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    LEFT = "left", _("left")


class PartnerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=PartnerStatus.ACTIVE)

    def with_place(self):
        return self.select_related("community", "compound", "building__compound", "resident")


class Partner(models.Model):
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partnerships",
        verbose_name=_("resident"),
        help_text=_("Empty for outside people such as dispatched cadres or outdoor workers"),
    )
    name = models.CharField(_("name"), max_length=40)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    kind = models.CharField(_("kind"), max_length=12, choices=PartnerKind.choices)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="partners", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partners",
        verbose_name=_("compound"),
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partners",
        verbose_name=_("building"),
    )
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="partners", verbose_name=_("skills")
    )
    roles = models.ManyToManyField(
        Role, blank=True, related_name="partners", verbose_name=_("roles")
    )
    is_party_member = models.BooleanField(_("party member"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE
    )
    joined_on = models.DateField(_("joined on"))

    objects = PartnerQuerySet.as_manager()

    PLACE = PlacePaths(
        subdistrict="community__subdistrict",
        community="community",
        compound="compound",
        building="building",
    )

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="neighbour", building__isnull=False, compound__isnull=False)
                    | models.Q(kind="construction", building__isnull=True, compound__isnull=False)
                    | models.Q(kind="team", building__isnull=True, compound__isnull=True)
                ),
                name="partner_anchor_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["resident", "kind"],
                condition=models.Q(resident__isnull=False),
                name="partner_resident_kind_unique",
            ),
        ]
        indexes = [models.Index(fields=["community", "kind", "status"], name="partner_scope_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def circle(self) -> str:
        return CIRCLES[self.kind]

    @property
    def anchor(self):
        """The place the partner serves: a building, a compound or the community."""
        return self.building or self.compound or self.community

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class TeamKind(models.TextChoices):
    VOLUNTEER = "volunteer", _("volunteer service team")
    RED = "red", _("red work team")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=TeamKind.choices)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="teams", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("compound"),
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("building"),
    )
    leader = models.ForeignKey(
        Partner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("leader"),
    )
    members = models.ManyToManyField(
        Partner, through="TeamMembership", related_name="teams", verbose_name=_("members")
    )
    focus = models.CharField(_("focus"), max_length=200, blank=True)

    PLACE = Partner.PLACE

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="team_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    joined_on = models.DateField(_("joined on"))

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "partner"], name="team_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.partner}"


class OrganisationKind(models.TextChoices):
    RESIDENTS_COMMITTEE = "residents_committee", _("residents' committee")
    PARTY_COMMITTEE = "party_committee", _("party committee")
    PARTY_BRANCH = "party_branch", _("party branch")
    OWNERS_COMMITTEE = "owners_committee", _("owners' committee")
    PROPERTY_COMPANY = "property_company", _("property company")
    SOCIAL_ORGANISATION = "social_organisation", _("social organisation")
    WOMENS_FEDERATION = "womens_federation", _("women's federation")
    DEPARTMENT = "department", _("government department")
    OTHER = "other", _("other")


class Organisation(models.Model):
    """An organisation that takes part in governance, anchored at the level it serves.

    Departments and the subdistrict office serve a whole subdistrict (community empty); a
    property company or owners' committee usually serves one compound.
    """

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=24, choices=OrganisationKind.choices)
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("subdistrict"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("community"),
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("compound"),
    )
    contact_name = models.CharField(_("contact person"), max_length=40, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True, default="")
    address = models.CharField(_("address"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)

    PLACE = PlacePaths(subdistrict="subdistrict", community="community", compound="compound")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["subdistrict", "name"], name="organisation_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)

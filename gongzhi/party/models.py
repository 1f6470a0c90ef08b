"""The Party's structure in the community (党建引领), 双报到 and 下沉干部 (docs/party.md).

* **The organisation tree**: 街道党工委 → 社区党委 → 小区党支部 → 楼栋党小组, each node anchored to
  the place of its level (subdistrict, community, compound, building). The anchor columns are
  filled down the tree like a partner's (a building group also names its compound, community
  and subdistrict), and a database constraint keeps them consistent with the level; that the
  parent is of the level above is checked by ``services.party_org_create``.
* **The roll**: a party member (a resident or a partner) belongs to one branch at a time — a
  unique constraint on the current membership (``left_on`` empty).
* **党员中心户**: a member's household responsible for neighbouring households of its compound.
* **双报到**: units (an organisation record) and in-service members register with a community;
  members claim posts (岗位) and wishes. Their hours are ordinary volunteering service records.
* **下沉干部**: a cadre (a partner record, usually without a resident: an outside person) is
  assigned to a compound or building for a period, checks in there, and takes tasks from hard
  matters as an owner of the matter (``matters.services.matter_assign``).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.places import PlacePaths
from gongzhi.matters.models import Matter
from gongzhi.partners.models import Organisation, Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import (
    Building,
    Community,
    Compound,
    Household,
    SubdistrictPlacedModel,
)
from gongzhi.projects.models import Wish


class OrgLevel(models.TextChoices):
    SUBDISTRICT = "subdistrict", _("subdistrict party working committee")
    COMMUNITY = "community", _("community party committee")
    COMPOUND = "compound", _("compound party branch")
    BUILDING = "building", _("building party group")


# The level a node's parent must have (None: the root of a subdistrict's tree).
PARENT_LEVEL = {
    OrgLevel.SUBDISTRICT: None,
    OrgLevel.COMMUNITY: OrgLevel.SUBDISTRICT,
    OrgLevel.COMPOUND: OrgLevel.COMMUNITY,
    OrgLevel.BUILDING: OrgLevel.COMPOUND,
}


class PartyOrg(SubdistrictPlacedModel):
    """A node of the Party's tree at its level's place (``SubdistrictPlacedModel``: the
    subdistrict's working committee has no community)."""

    name = models.CharField(_("name"), max_length=80)
    level = models.CharField(_("level"), max_length=12, choices=OrgLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent organisation"),
    )
    secretary = models.CharField(_("secretary"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        level="subdistrict",
                        parent__isnull=True,
                        community__isnull=True,
                        compound__isnull=True,
                        building__isnull=True,
                    )
                    | Q(
                        level="community",
                        parent__isnull=False,
                        community__isnull=False,
                        compound__isnull=True,
                        building__isnull=True,
                    )
                    | Q(
                        level="compound",
                        parent__isnull=False,
                        community__isnull=False,
                        compound__isnull=False,
                        building__isnull=True,
                    )
                    | Q(
                        level="building",
                        parent__isnull=False,
                        community__isnull=False,
                        compound__isnull=False,
                        building__isnull=False,
                    )
                ),
                name="party_org_anchor_matches_level",
            ),
            # One node per place and level: a compound has one branch, a building one group.
            models.UniqueConstraint(
                fields=["subdistrict"],
                condition=Q(level="subdistrict"),
                name="party_org_one_per_subdistrict",
            ),
            models.UniqueConstraint(
                fields=["community"],
                condition=Q(level="community"),
                name="party_org_one_per_community",
            ),
            models.UniqueConstraint(
                fields=["compound"],
                condition=Q(level="compound"),
                name="party_org_one_per_compound",
            ),
            models.UniqueConstraint(
                fields=["building"],
                condition=Q(level="building"),
                name="party_org_one_per_building",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartyMember(models.Model):
    """One person on the roll. A partner linked to a resident is stored as that resident (with
    the partner kept), as in volunteering, so one person cannot be on the roll twice."""

    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_memberships",
        verbose_name=_("resident"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_memberships",
        verbose_name=_("partner"),
    )
    name = models.CharField(_("name"), max_length=40)
    branch = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="members", verbose_name=_("branch")
    )
    lives_here = models.BooleanField(_("lives in the community"), default=True)
    in_service = models.BooleanField(_("in service"), default=False)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    PLACE = PlacePaths(
        subdistrict="branch__subdistrict",
        community="branch__community",
        compound="branch__compound",
        building="branch__building",
    )

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["branch", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(partner__isnull=False),
                name="party_member_is_someone",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="party_member_left_after_joining",
            ),
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(left_on__isnull=True, resident__isnull=False),
                name="party_member_one_current_branch_resident",
            ),
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(left_on__isnull=True, resident__isnull=True),
                name="party_member_one_current_branch_partner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CentreHousehold(models.Model):
    """党员中心户: a party member's household that looks after neighbouring households."""

    member = models.OneToOneField(
        PartyMember,
        on_delete=models.CASCADE,
        related_name="centre_household",
        verbose_name=_("party member"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    neighbours = models.ManyToManyField(
        Household, related_name="party_centres", verbose_name=_("households looked after")
    )
    designated_on = models.DateField(_("designated on"))

    PLACE = PlacePaths(
        subdistrict="household__unit__building__compound__community__subdistrict",
        community="household__unit__building__compound__community",
        compound="household__unit__building__compound",
        building="household__unit__building",
        household="household",
    )

    class Meta:
        verbose_name = _("party member centre household")
        verbose_name_plural = _("party member centre households")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.member)


class ReportingUnit(models.Model):
    """双报到: a unit (机关/企事业单位) registered with a community."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    registered_on = models.DateField(_("registered on"))

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("reporting unit")
        verbose_name_plural = _("reporting units")
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "community"], name="reporting_unit_once"
            )
        ]

    def __str__(self) -> str:
        return self.organisation.name


class InServiceMember(models.Model):
    """双报到: an in-service party member registered with the community where they live."""

    unit = models.ForeignKey(
        ReportingUnit, on_delete=models.PROTECT, related_name="members", verbose_name=_("unit")
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner"),
    )
    name = models.CharField(_("name"), max_length=40)
    registered_on = models.DateField(_("registered on"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    PLACE = PlacePaths(subdistrict="unit__community__subdistrict", community="unit__community")

    class Meta:
        verbose_name = _("in-service party member")
        verbose_name_plural = _("in-service party members")
        ordering = ["unit", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(partner__isnull=False),
                name="in_service_member_is_someone",
            ),
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(resident__isnull=False),
                name="in_service_member_resident_once",
            ),
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(resident__isnull=True),
                name="in_service_member_partner_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """A post (岗位) the community offers to in-service members: 楼栋宣传员, 文明劝导员 …"""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    title = models.CharField(_("title"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)

    PLACE = PlacePaths(subdistrict="community__subdistrict", community="community")

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["community", "title"], name="party_post_title_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Claim(models.Model):
    """What an in-service member took on: a post or a wish from the wish board."""

    member = models.ForeignKey(
        InServiceMember, on_delete=models.CASCADE, related_name="claims", verbose_name=_("member")
    )
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    wish = models.ForeignKey(
        Wish, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(_("claimed at"))

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-claimed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(post__isnull=False, wish__isnull=True)
                | Q(post__isnull=True, wish__isnull=False),
                name="party_claim_one_target",
            ),
            models.UniqueConstraint(fields=["member", "post"], name="party_claim_post_once"),
        ]

    def __str__(self) -> str:
        return str(self.post or self.wish)


class CadreAssignment(models.Model):
    """下沉干部 包保: a cadre responsible for a compound (or one building of it) for a period."""

    cadre = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="cadre_assignments", verbose_name=_("cadre")
    )
    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="+", verbose_name=_("compound")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    PLACE = PlacePaths(
        subdistrict="compound__community__subdistrict",
        community="compound__community",
        compound="compound",
        building="building",
    )

    class Meta:
        verbose_name = _("cadre assignment")
        verbose_name_plural = _("cadre assignments")
        ordering = ["compound", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="cadre_assignment_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cadre} · {self.building or self.compound}"

    @property
    def place(self):
        return self.building or self.compound


class CheckIn(models.Model):
    assignment = models.ForeignKey(
        CadreAssignment, on_delete=models.CASCADE, related_name="checkins"
    )
    at = models.DateTimeField(_("time"))
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    PLACE = PlacePaths(
        subdistrict="assignment__compound__community__subdistrict",
        community="assignment__compound__community",
        compound="assignment__compound",
        building="assignment__building",
    )

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at"]
        indexes = [models.Index(fields=["assignment", "at"], name="party_checkin_idx")]

    def __str__(self) -> str:
        return f"{self.assignment.cadre} {self.at:%Y-%m-%d %H:%M}"


class CadreTask(models.Model):
    """A hard matter dispatched to a cadre (named in a whistle): the cadre is an owner of it."""

    assignment = models.ForeignKey(CadreAssignment, on_delete=models.CASCADE, related_name="tasks")
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="+")
    dispatched_at = models.DateTimeField(_("dispatched at"))
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("cadre task")
        verbose_name_plural = _("cadre tasks")
        ordering = ["-dispatched_at"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "matter"], name="cadre_task_once")
        ]

    def __str__(self) -> str:
        return f"{self.assignment.cadre} · {self.matter_id}"

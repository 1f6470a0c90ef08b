"""What the settings pages and API list: always inside what the user may look at."""

from django.db.models import Count, Prefetch, QuerySet

from gongzhi.configuration import rules
from gongzhi.configuration.models import ConfigChange, JoinStatus, TeamJoinRequest
from gongzhi.matters.models import DeadlinePolicy, ResponsibilityRule
from gongzhi.meetings.models import PublicHoliday, Venue
from gongzhi.partners.models import Team, TeamMembership
from gongzhi.places.models import Community
from gongzhi.points.models import ShopItem
from gongzhi.volunteering.models import EarningRule, StarScheme


def communities(user) -> QuerySet:
    return rules.visible(user, Community.objects.all())


def _in_communities(user, qs: QuerySet) -> QuerySet:
    """Rows of a model that hangs on a community without declaring ``PLACE``."""
    return qs.filter(community__in=communities(user))


def responsibility_rules(user) -> QuerySet:
    return (
        _in_communities(user, ResponsibilityRule.objects.all())
        .select_related("community")
        .prefetch_related("roles", "whistle_organisations")
        .order_by("community_id", "tier", "category")
    )


def deadline_policies(user) -> QuerySet:
    return (
        _in_communities(user, DeadlinePolicy.objects.all())
        .select_related("community")
        .order_by("community_id", "tier", "category")
    )


def earning_rules(user) -> QuerySet:
    return (
        rules.visible(user, EarningRule.objects.all())
        .select_related("community")
        .order_by("community_id", "kind", "-valid_from", "-id")
    )


def star_schemes(user) -> QuerySet:
    return _in_communities(user, StarScheme.objects.all()).select_related("community")


def teams(user) -> QuerySet:
    memberships = TeamMembership.objects.select_related("partner").order_by("joined_on", "id")
    return (
        rules.visible(user, Team.objects.all())
        .select_related("community", "compound", "building", "leader")
        .annotate(member_count=Count("memberships", distinct=True))
        .prefetch_related(Prefetch("memberships", queryset=memberships))
        .order_by("community_id", "kind", "name")
    )


def join_requests(user, *, pending_only: bool = False) -> QuerySet:
    qs = rules.visible(user, TeamJoinRequest.objects.all()).select_related("team", "partner")
    return qs.filter(status=JoinStatus.PENDING) if pending_only else qs


def shop_items(user) -> QuerySet:
    return rules.visible(user, ShopItem.objects.all()).select_related("community")


def venues(user) -> QuerySet:
    return rules.visible(user, Venue.objects.all()).select_related("community", "compound")


def public_holidays(user) -> QuerySet:
    """National: everyone who may see settings sees the whole calendar."""
    if not rules.can_view(user):
        return PublicHoliday.objects.none()
    return PublicHoliday.objects.order_by("-date")


def changes(user) -> QuerySet:
    """The change log: the communities in reach, and the national calendar's changes."""
    if not rules.can_view(user):
        return ConfigChange.objects.none()
    scoped = rules.visible(user, ConfigChange.objects.all())
    national = ConfigChange.objects.filter(community__isnull=True)
    return (scoped | national).select_related("actor", "community").order_by("-at", "-id")

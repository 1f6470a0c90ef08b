"""Reads of partners, teams and organisations, shared by web views, API and exports."""

from django.db.models import Count, QuerySet

from gongzhi.core.places import Place
from gongzhi.core.scope import narrow
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.partners.rules import organisations_visible, partners_visible, teams_visible


def partner_list(
    user,
    *,
    place: Place | None = None,
    kind: str | None = None,
    skill: str | None = None,
    role: str | None = None,
    status: str | None = None,
    search: str | None = None,
) -> QuerySet[Partner]:
    qs = partners_visible(user, Partner.objects.with_place())
    qs = narrow(qs, place)
    if kind:
        qs = qs.filter(kind=kind)
    if skill:
        qs = qs.filter(skills__name=skill)
    if role:
        qs = qs.filter(roles__name=role)
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(name__contains=search.strip())
    return qs.prefetch_related("skills", "roles").order_by("kind", "id")


def team_list(
    user, *, place: Place | None = None, kind: str | None = None, search: str | None = None
) -> QuerySet[Team]:
    qs = teams_visible(user, Team.objects.select_related("community", "compound", "leader"))
    qs = narrow(qs, place)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(name__contains=search.strip())
    return qs.annotate(member_count=Count("members")).order_by("kind", "name")


def organisation_list(
    user, *, place: Place | None = None, kind: str | None = None, search: str | None = None
) -> QuerySet[Organisation]:
    qs = organisations_visible(
        user, Organisation.objects.select_related("subdistrict", "community", "compound")
    )
    qs = narrow(qs, place)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(name__contains=search.strip())
    return qs.order_by("kind", "name")

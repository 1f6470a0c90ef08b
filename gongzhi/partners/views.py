from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from gongzhi.core.places import Place
from gongzhi.listing.pages import choice_param, place_param, render_list, text_param
from gongzhi.partners.excel import organisations_export, partners_export, teams_export
from gongzhi.partners.models import (
    Organisation,
    OrganisationKind,
    Partner,
    PartnerKind,
    PartnerStatus,
    Role,
    Skill,
    Team,
    TeamKind,
)
from gongzhi.partners.rules import organisations_visible, partners_visible, teams_visible
from gongzhi.partners.selectors import organisation_list, partner_list, team_list
from gongzhi.people.models import Resident
from gongzhi.people.rules import residents_visible
from gongzhi.places.models import Building


def building_partners(user, building: Building) -> dict:
    """A building's page shows its active partners (``places.views.BUILDING_SECTIONS``,
    appended from ``PartnersConfig.ready``)."""
    place = Place("building", building.pk)
    return {"partners": partner_list(user, place=place, status=PartnerStatus.ACTIVE)}


def resident_partnerships(user, resident: Resident) -> dict:
    """A resident's page shows the partner records they hold that the user may see
    (``people.views.RESIDENT_SECTIONS``, appended from ``PartnersConfig.ready``)."""
    return {"partnerships": partners_visible(user, resident.partnerships.with_place())}


def partner_get(user, pk: int) -> Partner:
    """The partner, if the user may see them (404 otherwise)."""
    qs = partners_visible(user, Partner.objects.with_place().prefetch_related("skills", "roles"))
    return get_object_or_404(qs, pk=pk)


def team_get(user, pk: int) -> Team:
    qs = teams_visible(user, Team.objects.select_related("community", "compound", "leader"))
    return get_object_or_404(qs, pk=pk)


def organisation_get(user, pk: int) -> Organisation:
    qs = organisations_visible(
        user, Organisation.objects.select_related("subdistrict", "community", "compound")
    )
    return get_object_or_404(qs, pk=pk)


@login_required
def partner_list_view(request: HttpRequest) -> HttpResponse:
    def rows():
        return partner_list(
            request.user,
            place=place_param(request),
            kind=choice_param(request, "kind", PartnerKind),
            skill=text_param(request, "skill"),
            role=text_param(request, "role"),
            status=choice_param(request, "status", PartnerStatus),
            search=text_param(request, "q"),
        )

    return render_list(
        request,
        rows=rows,
        template="partners/partner_list.html",
        partial="partners/_partner_rows.html",
        export=partners_export,
        filename="治理合伙人.xlsx",
        context={
            "kinds": PartnerKind.choices,
            "statuses": PartnerStatus.choices,
            "skills": Skill.objects.all(),
            "roles": Role.objects.all(),
        },
    )


@login_required
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    partner = partner_get(request.user, pk)
    # The partner's resident record is personal data: link it only for registry readers.
    resident_visible = (
        partner.resident_id is not None
        and residents_visible(
            request.user, Resident.objects.filter(pk=partner.resident_id)
        ).exists()
    )
    teams = teams_visible(request.user, partner.teams.select_related("leader"))
    return render(
        request,
        "partners/partner_detail.html",
        {"partner": partner, "resident_visible": resident_visible, "teams": teams},
    )


@login_required
def team_list_view(request: HttpRequest) -> HttpResponse:
    def rows():
        return team_list(
            request.user,
            place=place_param(request),
            kind=choice_param(request, "kind", TeamKind),
            search=text_param(request, "q"),
        )

    return render_list(
        request,
        rows=rows,
        template="partners/team_list.html",
        partial="partners/_team_rows.html",
        export=teams_export,
        filename="队伍.xlsx",
        context={"kinds": TeamKind.choices},
    )


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_get(request.user, pk)
    memberships = team.memberships.select_related("partner").order_by("joined_on", "id")
    return render(request, "partners/team_detail.html", {"team": team, "memberships": memberships})


@login_required
def organisation_list_view(request: HttpRequest) -> HttpResponse:
    def rows():
        return organisation_list(
            request.user,
            place=place_param(request),
            kind=choice_param(request, "kind", OrganisationKind),
            search=text_param(request, "q"),
        )

    return render_list(
        request,
        rows=rows,
        template="partners/organisation_list.html",
        partial="partners/_organisation_rows.html",
        export=organisations_export,
        filename="组织.xlsx",
        context={"kinds": OrganisationKind.choices},
    )


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_get(request.user, pk)
    return render(request, "partners/organisation_detail.html", {"organisation": organisation})

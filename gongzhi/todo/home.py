"""The home page: what each role does now (its to-do), then what it is responsible for."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import is_staff_like
from gongzhi.core.places import Place
from gongzhi.partners.models import PartnerKind, PartnerStatus
from gongzhi.partners.selectors import organisation_list, partner_list, team_list
from gongzhi.people.selectors import household_list, resident_list
from gongzhi.todo.views import HOME_ITEMS, todo_context


def _registry_summary(user) -> dict:
    """Key counts of what a staff member, official or grid worker is responsible for."""
    by_kind = dict(
        partner_list(user, status=PartnerStatus.ACTIVE)
        .prefetch_related(None)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
    )
    return {
        "households": household_list(user).count(),
        "residents": resident_list(user).count(),
        "partners_by_kind": [(label, by_kind.get(kind, 0)) for kind, label in PartnerKind.choices],
        "teams": team_list(user).count(),
        "organisations": organisation_list(user).count(),
    }


def _partner_home(user, profile) -> dict:
    partner = partner_list(user).filter(pk=profile.partner_id).first()
    teams = partner.teams.order_by("name") if partner else []
    return {"partner": partner, "teams": teams}


def _resident_home(user, profile) -> dict:
    household = household_list(user).first()
    if household is None:
        return {"household": None}
    compound = Place("compound", household.unit.building.compound_id)
    return {
        "household": household,
        "members": resident_list(user),
        "nearby_partners": partner_list(user, place=compound, status=PartnerStatus.ACTIVE)[:12],
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    # The first screen of every role answers "what do I do now"; the rest comes below.
    context: dict = todo_context(user, limit=HOME_ITEMS)
    if is_staff_like(user):
        context["summary"] = _registry_summary(user)
    elif profile is not None and profile.role == UserRole.PARTNER:
        context.update(_partner_home(user, profile))
    elif profile is not None and profile.role == UserRole.RESIDENT:
        context.update(_resident_home(user, profile))
    return render(request, "gongzhi/home.html", context)

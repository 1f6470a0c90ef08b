"""The overview's partner figures (registered in ``core.overview.SECTIONS`` by
``PartnersConfig.ready``)."""

from django.db.models import Count, Q

from gongzhi.core.places import Place
from gongzhi.core.scope import narrow
from gongzhi.partners.models import Organisation, Partner, PartnerKind, Team, TeamKind


def partners_section(place: Place | None) -> dict:
    """Teams, volunteers and active partners by kind.

    ``volunteers`` are the distinct active partners who belong to a volunteer service team
    (the paper's "registered volunteers"); a partner in two teams counts once.
    """
    active = narrow(Partner.objects.active(), place)
    by_kind = active.aggregate(
        **{kind.value: Count("id", filter=Q(kind=kind)) for kind in PartnerKind}
    )
    volunteers = active.filter(memberships__team__kind=TeamKind.VOLUNTEER).aggregate(
        n=Count("id", distinct=True)
    )["n"]
    teams = narrow(Team.objects.all(), place).aggregate(
        volunteer=Count("id", filter=Q(kind=TeamKind.VOLUNTEER)),
        red=Count("id", filter=Q(kind=TeamKind.RED)),
    )
    return {
        "volunteer_teams": teams["volunteer"],
        "red_teams": teams["red"],
        "volunteers": volunteers,
        "partners": by_kind,
        "organisations": narrow(Organisation.objects.all(), place).count(),
    }

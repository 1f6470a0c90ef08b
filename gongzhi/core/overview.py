"""The overview of a community (or of everything): headline figures from aggregate queries.

``overview`` returns one flat-ish dict that ``gongzhi overview --json`` prints. Its keys are a
contract: scripts and later features read them, so existing keys never change meaning.

To add figures, write a *section*: a function ``(place) -> dict`` that returns new keys from
aggregate queries (``place`` is the community as a ``Place``, or None for all data; narrow
querysets with ``gongzhi.accounts.scope.narrow``), and append it to ``SECTIONS``. Sections are
merged in order; a section must not reuse a key of an earlier one.
"""

from collections.abc import Callable

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.partners.models import Organisation, Partner, PartnerKind, Team, TeamKind
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community, Compound, Grid, Household

Section = Callable[[Place | None], dict]


def places_section(place: Place | None) -> dict:
    return {
        "compounds": narrow(Compound.objects.all(), place).count(),
        "buildings": narrow(Building.objects.all(), place).count(),
        "grids": narrow(Grid.objects.all(), place).count(),
        "households": narrow(Household.objects.all(), place).count(),
        "residents": narrow(Resident.objects.all(), place).count(),
    }


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


def matters_section(place: Place | None) -> dict:
    """Matters by status, tier and channel, and the three rates, in one aggregate query.

    The rates are over all the place's matters, from the same counts and formula as
    ``matters.rates.three_rates`` (the matters dashboard), so the two agree; the medians that
    ``three_rates`` also computes are not part of the overview (they read every matter).
    """
    from gongzhi.matters.models import Channel, Matter, Status, Tier
    from gongzhi.matters.rates import rate_counts, rates_from_counts

    groups = {"by_status": ("status", Status), "by_tier": ("tier", Tier)}
    groups["by_channel"] = ("channel", Channel)
    aggregates = {"total": Count("id"), **rate_counts(timezone.now(), prefix="rate_")}
    for group, (field, choices) in groups.items():
        for value in choices.values:
            aggregates[f"{group}:{value}"] = Count("id", filter=Q(**{field: value}))
    counts = narrow(Matter.objects.all(), place).aggregate(**aggregates)
    rates = rates_from_counts(
        {key.removeprefix("rate_"): n for key, n in counts.items() if key.startswith("rate_")}
    )
    return {
        "matters": {
            "total": counts["total"],
            **{
                group: {value: counts[f"{group}:{value}"] for value in choices.values}
                for group, (_field, choices) in groups.items()
            },
            "rates": {
                key: rates[key] for key in ("response", "resolution", "satisfaction", "composite")
            },
        }
    }


SECTIONS: list[Section] = [places_section, partners_section, matters_section]


def overview(*, community: Community | None = None) -> dict:
    """Headline figures of ``community`` (or of all data when None)."""
    place = Place("community", community.pk) if community is not None else None
    result: dict = {"community": community.name if community is not None else None}
    for section in SECTIONS:
        result.update(section(place))
    return result


def format_overview(data: dict) -> str:
    """A readable summary of an ``overview`` result, for the terminal."""
    partners = data["partners"]
    lines = [
        _("Community: %(name)s") % {"name": data["community"] or _("all communities")},
        _("Compounds: %(n)d, buildings: %(b)d, grids: %(g)d")
        % {"n": data["compounds"], "b": data["buildings"], "g": data["grids"]},
        _("Households: %(h)d, residents: %(r)d")
        % {"h": data["households"], "r": data["residents"]},
        _("Volunteer service teams: %(t)d with %(v)d registered volunteers")
        % {"t": data["volunteer_teams"], "v": data["volunteers"]},
        _("Partners: %(neighbour)d neighbour, %(construction)d construction, %(team)d team")
        % partners,
        _("Red work teams: %(t)d, organisations: %(o)d")
        % {"t": data["red_teams"], "o": data["organisations"]},
    ]
    return "\n".join(lines)

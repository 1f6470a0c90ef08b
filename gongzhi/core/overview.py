"""The overview of a community (or of everything): headline figures from aggregate queries.

``overview`` returns one flat-ish dict that ``gongzhi overview --json`` prints. Its keys are a
contract: scripts and later features read them, so existing keys never change meaning.

To add figures, write a *section*: a function ``(place) -> dict`` that returns new keys from
aggregate queries (``place`` is the community as a ``Place``, or None for all data; narrow
querysets with ``gongzhi.accounts.scope.narrow``), and append it to ``SECTIONS`` in your
app's ``AppConfig.ready`` (``people``, ``partners`` and ``matters`` register the first three).
Sections are merged in order; a section must not reuse a key of an earlier one.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _

from gongzhi.core.places import Place

Section = Callable[[Place | None], dict]


# Filled by the apps' ``ready()`` in the order of INSTALLED_APPS: people (places and
# residents), partners, matters, then meetings, mediation, points, volunteering, …
SECTIONS: list[Section] = []


def overview(*, community=None) -> dict:
    """Headline figures of ``community`` (a ``places.Community``; all data when None)."""
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

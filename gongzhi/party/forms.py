"""What the tree and roll pages offer to choose and how a submitted choice is read back.

The pages only parse; every check (levels, parents, one branch per member, who may write)
stays in ``services`` so the page refuses exactly what the API refuses.
"""

from django.utils.translation import gettext as _

from gongzhi.core.naturalsort import natural_sorted
from gongzhi.party import rules
from gongzhi.party.models import OrgLevel, PartyOrg
from gongzhi.party.services import PartyError
from gongzhi.places.models import Building, Compound

# Staff create branches and groups; the committees above them are the officials' (docs/party.md).
STAFF_LEVELS = (OrgLevel.COMPOUND, OrgLevel.BUILDING)


def place_choices(community_id: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """The community's compounds and buildings as ``(group label, [(value, label)])``, each
    group in natural order (2栋 before 10栋); a value is ``compound:ID`` or ``building:ID``."""
    compounds = natural_sorted(Compound.objects.filter(community_id=community_id), lambda c: c.name)
    buildings = natural_sorted(
        Building.objects.filter(compound__community_id=community_id).select_related("compound"),
        lambda b: f"{b.compound.name} {b.name}",
    )
    return [
        (str(OrgLevel.COMPOUND.label), [(f"compound:{c.pk}", c.name) for c in compounds]),
        (
            str(OrgLevel.BUILDING.label),
            [(f"building:{b.pk}", f"{b.compound.name}{b.name}") for b in buildings],
        ),
    ]


def parse_place(raw: str, community_id: int):
    """The compound or building a submitted ``kind:id`` names, within the community only."""
    kind, _sep, pk = (raw or "").partition(":")
    model = {"compound": Compound, "building": Building}.get(kind)
    place = None
    if model is not None and pk.isdigit():
        field = "community_id" if model is Compound else "compound__community_id"
        place = model.objects.filter(pk=int(pk), **{field: community_id}).first()
    if place is None:
        raise PartyError("bad_place", _("Choose a compound or building of the community."))
    return place


def tree_orgs(user, community_id: int):
    """The nodes of the community's tree the user may see (parents and branches to choose)."""
    return rules.visible(user, PartyOrg.objects.filter(community_id=community_id)).order_by(
        "level", "name"
    )


def branch_choices(user, community_id: int) -> list[PartyOrg]:
    """Where a member can be: the community committee, its branches and groups, in natural
    order of name."""
    return natural_sorted(tree_orgs(user, community_id), lambda o: o.name)


def pick_org(user, raw, community_id: int, message: str) -> PartyOrg:
    """A node of the community's visible tree by its submitted id, or ``PartyError``."""
    org = None
    if str(raw or "").isdigit():
        org = tree_orgs(user, community_id).filter(pk=int(raw)).first()
    if org is None:
        raise PartyError("bad_org", message)
    return org

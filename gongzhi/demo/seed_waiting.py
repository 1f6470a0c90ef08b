"""What waits for the demo's resident and partner this morning (ROLES.md: every demo account
opens its to-do and finds something real to do).

The year of matters (``seed_matters``) is written for the community as a whole; nothing in it
belongs to the two phone accounts. This step adds, through the same services every channel
uses, so histories, deadlines and messages are those of real work:

* the resident reported a broken door lock at their own building three days ago; the building's
  partner handled it and it is done — the resident's to-do asks for their feedback;
* the resident reported a blocked drain two days ago, still being worked on (they follow it);
* yesterday a neighbour phoned in a dark stairwell and staff gave it to the partner;
* two months ago staff took in a hard matter (loose facade tiles) that the property company
  still works on, past its deadline — the subdistrict official's to-do shows the community
  with an overdue hard matter, whatever day the demo is seeded. — the partner's
  to-do asks them to handle it.

Runs last (after the sweep-free seeding of the year), at times before the demo's midnight.
"""

import datetime as dt

from django.contrib.auth import get_user_model

from gongzhi.matters import services as matters
from gongzhi.matters.models import Category, Channel, Status, Tier
from gongzhi.partners.models import Organisation
from gongzhi.people.models import Resident
from gongzhi.places.models import Building, Community

from .seed_matters import now_at_today


def _user(username: str):
    return get_user_model().objects.select_related("profile").get(username=username)


def _give(matter, *, staff, owner, at: dt.datetime):
    """Staff acknowledge the matter and give it to the partner ``owner`` (unless routing did)."""
    if matter.owners.filter(active=True, partner=owner).exists():
        return matter
    return _give_to(matter, staff=staff, owners=[owner], at=at)


def _give_to(matter, *, staff, owners: list, at: dt.datetime):
    """Staff acknowledge the matter (if still new) and assign it to ``owners``."""
    if matter.status == Status.RECEIVED:
        matter = matters.matter_acknowledge(actor=staff, matter=matter, now=at)
    return matters.matter_assign(
        actor=staff, matter=matter, owners=owners, now=at + dt.timedelta(hours=1)
    )


def _handled(matter, *, staff, owner, at: dt.datetime, note: str = ""):
    """Given to ``owner``, started, and done when there is a ``note`` of what was done."""
    matter = _give(matter, staff=staff, owner=owner, at=at)
    matter = matters.matter_start(actor=staff, matter=matter, now=at + dt.timedelta(hours=3))
    if note:
        matter = matters.matter_complete(
            actor=staff, matter=matter, note=note, now=at + dt.timedelta(days=1, hours=2)
        )
    return matter


def seed_waiting(community: Community) -> None:
    staff, resident_user, partner_user = _user("staff"), _user("resident"), _user("partner")
    resident: Resident = resident_user.profile.resident
    partner = partner_user.profile.partner
    building = resident.household.unit.building
    midnight = now_at_today()

    def report(user, text, days_ago, where, *, reporter=None, channel=Channel.ONLINE_WEB, **given):
        return matters.matter_submit(
            actor=user,
            text=text,
            channel=channel,
            place=matters.resolve_place(building=where),
            reporter=reporter,
            now=midnight - dt.timedelta(days=days_ago),
            **given,
        )

    lock = report(
        resident_user, f"{building.name}单元门的门禁锁坏了，门一直关不上，晚上不安全", 3, building
    )
    _handled(
        lock,
        staff=staff,
        owner=partner,
        at=lock.created_at + dt.timedelta(hours=1),
        note="已联系物业更换门禁锁，门已能正常关闭",
    )
    drain = report(resident_user, "楼下雨水井被落叶堵住了，下雨积水到小腿", 2, building)
    _handled(drain, staff=staff, owner=partner, at=drain.created_at + dt.timedelta(hours=2))
    # A neighbour of the partner's building phoned it in; staff took the call.
    stairs_building = partner.building or building
    neighbour = (
        Resident.objects.filter(household__unit__building=stairs_building)
        .exclude(pk=resident.pk)
        .order_by("pk")
        .first()
    )
    stairs = report(
        staff,
        f"{stairs_building.name}三楼楼道灯不亮，老人晚上上下楼看不见",
        1,
        stairs_building,
        reporter=neighbour,
        channel=Channel.ONLINE_PHONE,
    )
    _give(stairs, staff=staff, owner=partner, at=stairs.created_at)
    facade_building = (
        Building.objects.filter(compound__community=community)
        .exclude(compound=building.compound)
        .order_by("pk")
        .first()
    )
    company = Organisation.objects.filter(community=community).order_by("pk").first()
    facade = report(
        staff,
        f"{facade_building.name}外墙瓷砖空鼓，多处有脱落风险，需动用维修资金整体维修",
        60,
        facade_building,
        channel=Channel.WALK_IN,
        reporter=Resident.objects.filter(household__unit__building=facade_building)
        .order_by("pk")
        .first(),
        tier=Tier.HARD,
        category=Category.SAFETY,
    )
    if company is not None:
        facade = _give_to(facade, staff=staff, owners=[company], at=facade.created_at)
        matters.matter_start(
            actor=staff, matter=facade, now=facade.created_at + dt.timedelta(days=5)
        )

"""Small builders for tests: valid ID numbers, places and people with sensible defaults."""

import datetime as dt
import itertools

from django.contrib.auth import get_user_model

from gongzhi.accounts.models import Profile
from gongzhi.core.identity import id_check_digit
from gongzhi.partners.models import Partner, PartnerKind
from gongzhi.people.models import Relation, Resident
from gongzhi.places.models import Building, Household, Unit

_serial = itertools.count(1)


def make_id_number(
    born: dt.date = dt.date(1960, 5, 17), *, male: bool = True, area: str = "420105"
) -> str:
    seq = next(_serial) % 500
    order = seq * 2 + (1 if male else 0)
    first17 = f"{area}{born:%Y%m%d}{order:03d}"
    return first17 + id_check_digit(first17)


def make_household(building: Building, room: str, unit_name: str = "1单元") -> Household:
    unit, _ = Unit.objects.get_or_create(building=building, name=unit_name)
    return Household.objects.create(unit=unit, room=room)


def make_resident(
    household: Household,
    name: str,
    *,
    relation=Relation.HEAD,
    phone="13812345678",
    born=dt.date(1960, 5, 17),
    male=True,
) -> Resident:
    resident = Resident(
        household=household,
        name=name,
        gender="M" if male else "F",
        birth_date=born,
        phone=phone,
        relation=relation,
    )
    resident.set_id_number(make_id_number(born, male=male))
    resident.save()
    return resident


def make_partner(*, name, kind, community, compound=None, building=None, resident=None) -> Partner:
    return Partner.objects.create(
        name=name,
        kind=kind,
        community=community,
        compound=compound,
        building=building,
        resident=resident,
        joined_on=dt.date(2023, 3, 1),
        phone="13900001111" if kind != PartnerKind.TEAM else "",
    )


def make_user(username: str, *, role: str | None = None, superuser=False, **scope):
    User = get_user_model()
    if superuser:
        return User.objects.create_superuser(username, password="pw-" + username)
    user = User.objects.create_user(username, password="pw-" + username)
    Profile.objects.create(user=user, role=role, **scope)
    return user

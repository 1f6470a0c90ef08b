"""Pinned query counts of the list pages and API lists of meetings, mediation, points,
volunteering, projects and honours: each list is fetched with N rows and with 2N rows, and
both times takes exactly the pinned number of queries (an N+1 makes the second count larger).
Every row is built through the services, with the relations the list shows."""

import datetime as dt
from itertools import count

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.mediation import services as mediation
from gongzhi.meetings import services as meetings
from gongzhi.partners.models import Skill
from gongzhi.points.services import points_earn
from gongzhi.projects import services as projects
from gongzhi.projects.models import WishCategory
from gongzhi.volunteering import services as volunteering
from gongzhi.volunteering.models import ActivityKind, EarningRule, EarningUnit
from tests.factories_meetings import make_venue
from tests.helpers import assert_list_queries_pinned, give, item, new_election, order, propose

N = 3
serial = count()


def _meetings(world):
    venue = make_venue(world)

    def build():
        number = next(serial)
        when = timezone.make_aware(dt.datetime(2030, 3, 2 + number % 20, 9, 0))
        place = (world.a, world.yujia, world.y1)[number % 3]
        title = f"议事会{number}"
        meetings.meeting_create(
            actor=world.users.staff_a, title=title, place=place, starts_at=when, venue=venue
        )
        return title

    return build


def _mediation(world):
    world.p_construction.skills.add(Skill.objects.get(name="矛盾调解"))

    def build():
        number = next(serial)
        case = mediation.case_open(
            actor=world.users.staff_a,
            kind="neighbour",
            description=f"楼道堆物纠纷{number}",
            place=(world.y1, world.y2)[number % 2],
            residents=[world.res_a, world.res_y1b],
            mediators=[world.p_construction],
        )
        return f">#{case.id}</a>"  # the list shows a case's number, never its description

    return build


def _postings(world):
    def build():
        reason = f"楼道清扫{next(serial)}"
        points_earn(
            holder=world.res_a, amount=5, reason=reason, source="test", idempotency_key=reason
        )
        return reason

    return build


def _items(world):
    def build():
        name = f"毛巾{next(serial)}"
        item(world.a, name=name)
        return name

    return build


def _orders(world):
    give(world.res_a, 1000)

    def build():
        name = f"肥皂{next(serial)}"
        order(world.res_a, item(world.a, name=name, price=1), key=name)
        return name

    return build


def _activities(world, *, records=False):
    EarningRule.objects.create(
        community=world.a,
        kind=ActivityKind.SERVICE,
        unit=EarningUnit.PER_HOUR,
        points=2,
        valid_from=dt.date(2020, 1, 1),
    )

    def build():
        title = f"楼道清扫{next(serial)}"
        activity = volunteering.activity_create(
            title=title,
            kind=ActivityKind.SERVICE,
            organiser=world.team_a,
            actor=world.users.partner_a,
            date=timezone.localdate() - dt.timedelta(days=3),
            compound=world.yujia,
        )
        if records:
            record = volunteering.service_record_add(
                activity=activity,
                participant=world.p_neighbour,
                minutes=60,
                actor=world.users.partner_a,
            )
            volunteering.service_record_confirm(record=record, actor=world.users.partner_a)
        return title

    return build


def _projects(world):
    def build():
        number = next(serial)
        title = f"车棚{number}"
        project = propose(world, title=title, building=(world.y1, world.y2)[number % 2])
        if number % 2:
            projects.project_open_pre_evaluation(actor=world.users.staff_a, project=project)
        return title

    return build


def _wishes(world):
    def build():
        number = next(serial)
        text = f"楼下想要一个快递柜{number}"
        wish = projects.wish_post(
            actor=world.users.resident_a, text=text, category=WishCategory.values[0]
        )
        if number % 2:
            projects.wish_claim(actor=world.users.partner_a, wish=wish)
        return text

    return build


def _venues(world):
    def build():
        name = f"议事厅{next(serial)}"
        make_venue(world, name=name, compound=world.yujia)
        return name

    return build


def _elections(world):
    def build():
        title = f"身边好人评选{next(serial)}"
        new_election(world, title=title)
        return title

    return build


# (list, persona, url, builder, pinned queries)
PAGES = [
    ("meetings calendar", "staff_a", reverse("meetings:calendar") + "?month=2030-03", _meetings, 6),
    ("mediation cases", "staff_a", reverse("mediation:list"), _mediation, 15),
    ("points history", "resident_a", reverse("points:mine"), _postings, 8),
    ("points items", "staff_a", reverse("points:items"), _items, 10),
    ("points desk", "staff_a", reverse("points:desk"), _orders, 10),
    ("volunteering activities", "staff_a", reverse("volunteering:activities"), _activities, 10),
    ("projects", "staff_a", reverse("projects:list"), _projects, 10),
    ("honours elections", "staff_a", reverse("honours:home"), _elections, 6),
    ("project wishes", "staff_a", reverse("projects:wishes"), _wishes, 5),
]
APIS = [
    ("meetings", "staff_a", "/api/v1/meetings", _meetings, 5),
    ("mediation cases", "staff_a", "/api/v1/mediation/cases", _mediation, 10),
    ("points history", "resident_a", "/api/v1/points/history", _postings, 6),
    ("points items", "staff_a", "/api/v1/points/items", _items, 5),
    ("points redemptions", "staff_a", "/api/v1/points/redemptions", _orders, 5),
    ("volunteering activities", "staff_a", "/api/v1/volunteering/activities", _activities, 5),
    ("projects", "staff_a", "/api/v1/projects/", _projects, 5),
    ("honours elections", "staff_a", "/api/v1/honours/elections", _elections, 5),
    ("project wishes", "staff_a", "/api/v1/projects/wishes", _wishes, 5),
    ("meeting venues", "staff_a", "/api/v1/meetings/venues", _venues, 5),
    ("points journals", "staff_a", "/api/v1/points/journals", _postings, 5),
]
RECORD_LISTS = [
    ("volunteering records page", reverse("volunteering:records"), 10),
    ("volunteering claims page", reverse("volunteering:claims"), 10),
    ("volunteering records api", "/api/v1/volunteering/records", 5),
    ("volunteering claims api", "/api/v1/volunteering/claims", 5),
]


@pytest.mark.parametrize(("name", "persona", "url", "builder", "queries"), PAGES + APIS)
def test_list_query_count_is_pinned(client, world, name, persona, url, builder, queries):
    client.force_login(getattr(world.users, persona))
    assert_list_queries_pinned(client, url, builder(world), queries, n=N)


@pytest.mark.parametrize(("name", "url", "queries"), RECORD_LISTS)
def test_volunteering_record_lists_query_count_is_pinned(client, world, name, url, queries):
    client.force_login(world.users.staff_a)
    assert_list_queries_pinned(client, url, _activities(world, records=True), queries, n=N)

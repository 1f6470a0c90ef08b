"""A hand-built collaboration network in community A (see tests/test_network_graph.py)."""

import datetime as dt

from django.utils import timezone

from gongzhi.matters.models import MatterOwner
from gongzhi.mediation.models import MediationCase
from gongzhi.meetings.models import Meeting, Participant
from gongzhi.partners.models import PartnerKind
from tests.factories import make_partner
from tests.factories_matters import make_matter

UNTIL = dt.date(2026, 3, 31)


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def own(matter, *actors, day=UNTIL):
    for actor in actors:
        field = {"Partner": "partner", "Team": "team", "Organisation": "organisation"}
        MatterOwner.objects.create(
            matter=matter, assigned_at=at(day), **{field[type(actor).__name__]: actor}
        )


def build_network(world):
    w = world
    w.p_n2 = make_partner(
        name="李楼长", kind=PartnerKind.NEIGHBOUR, community=w.a, compound=w.yujia, building=w.y2
    )
    w.m1 = make_matter(building=w.y1, created_at=at(UNTIL))
    own(w.m1, w.p_neighbour, w.p_construction, w.org_dept)
    w.m2 = make_matter(building=w.y1, created_at=at(UNTIL - dt.timedelta(days=180)))
    own(w.m2, w.p_neighbour, w.p_construction, day=UNTIL - dt.timedelta(days=180))
    w.m3 = make_matter(building=w.y2, created_at=at(UNTIL))
    own(w.m3, w.p_neighbour, w.p_n2)
    w.meeting = Meeting.objects.create(
        title="周周议",
        community=w.a,
        starts_at=at(UNTIL),
        ends_at=at(UNTIL) + dt.timedelta(hours=2),
        status="closed",
    )
    Participant.objects.create(
        meeting=w.meeting, kind="partner", partner=w.p_team, name="陈下沉", attended=True
    )
    Participant.objects.create(
        meeting=w.meeting, kind="organisation", organisation=w.org_a, name="居委会", attended=True
    )
    Participant.objects.create(
        meeting=w.meeting, kind="partner", partner=w.p_construction, name="孙立", attended=False
    )
    w.case = MediationCase.objects.create(
        kind="neighbour", description="噪音纠纷", community=w.a, opened_at=at(UNTIL)
    )
    w.case.mediators.add(w.p_team, w.p_neighbour)
    return w


def key(obj) -> str:
    kind = {"Partner": "partner", "Team": "team", "Organisation": "organisation"}
    return f"{kind[type(obj).__name__]}:{obj.pk}"

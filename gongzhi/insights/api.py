"""The index and the diagnostics over the API (/api/v1/insights/…).

Same figures as the pages (``index_store.stored_index``, ``diagnostics_store.diagnostics_view``) and the same
rules: staff, officials and grid workers, inside their reach; a place outside it is 403
``forbidden``; bad days are 400 ``bad_period``.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.core.apischema import PLACE_HELP, ApiError, ErrorOut, parse_place
from gongzhi.core.places import Place
from gongzhi.insights import rules
from gongzhi.insights.diagnostics_store import diagnostics_view
from gongzhi.insights.index import Period
from gongzhi.insights.index_store import stored_index

router = Router(tags=["insights"])
REFUSED = {400: ErrorOut, 403: ErrorOut}


class FiltersIn(Schema):
    place: str | None = Field(None, description=PLACE_HELP)
    since: dt.date | None = Field(None, description="First day (default: 1 January this year)")
    until: dt.date | None = Field(None, description="Last day, included (default: today)")


class IndicatorOut(Schema):
    value: float | None = Field(description="0–1; null when there is nothing to count")
    numerator: float
    denominator: int
    weight: float


class IndexOut(Schema):
    place: str | None
    since: dt.date
    until: dt.date
    score: float | None = Field(description="0–100")
    subjects: float | None
    responsibility: float | None
    goals: float | None
    action: float | None
    indicators: dict[str, IndicatorOut]


class FindingOut(Schema):
    kind: str
    title: str
    subject: str
    detail: str
    link: str


class DiagnosticsOut(Schema):
    place: str | None
    since: dt.date
    until: dt.date
    findings: list[FindingOut]
    as_of: dt.datetime | None = Field(
        description="The rollup run the findings are stored from (all data and subdistricts "
        "over the year to date); null when computed now"
    )


def _filters(request, params: FiltersIn) -> tuple[Place | None, Period]:
    if not rules.can_view_insights(request.auth):
        raise ApiError(403, "forbidden", _("You may not see insight figures."))
    place = parse_place(params.place) if params.place else rules.home_place(request.auth)
    if params.place and not rules.place_allowed(request.auth, place):
        raise ApiError(
            403, "forbidden", _("You cannot see figures of %(place)s.") % {"place": place}
        )
    today = timezone.localdate()
    period = Period(params.since or today.replace(month=1, day=1), params.until or today)
    if period.since > period.until:
        raise ApiError(400, "bad_period", _("The period must start before it ends."))
    return place, period


@router.get("/index", response={200: IndexOut, **REFUSED})
def index(request, params: Query[FiltersIn]):
    place, period = _filters(request, params)
    result = stored_index(place, period)
    return {
        "place": str(place) if place else None,
        "since": period.since,
        "until": period.until,
        **result,
    }


@router.get("/diagnostics", response={200: DiagnosticsOut, **REFUSED})
def diagnostics(request, params: Query[FiltersIn]):
    place, period = _filters(request, params)
    findings, as_of = diagnostics_view(request.auth, place, period)
    return {
        "place": str(place) if place else None,
        "since": period.since,
        "until": period.until,
        "findings": findings,
        "as_of": as_of,
    }

"""Honours over the API (/api/v1/honours/…): elections (list, detail, vote, results),
honour rolls and the talent pool.

Reads go through ``selectors`` (scope from ``rules.py``); a vote calls ``election_vote``. A
refused vote is the service's ``HonoursError`` as JSON (one handler in ``gongzhi/api.py``): 403
``forbidden``, ``not_a_voter``, ``not_verified``; 409 ``closed``, ``already_voted``; 400 the
rest (a candidate id that is not on the ballot, however large, is ``invalid_choices``).
"""

import datetime as dt
import uuid

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, responses

from gongzhi.core.apischema import (
    PLACE_HELP,
    REFUSED,
    ApiError,
    ErrorOut,
    Page,
    PageIn,
    get_or_404,
    paginate,
    parse_place,
)
from gongzhi.honours import rules, selectors, services

router = Router(tags=["honours"])


class CandidateOut(Schema):
    id: int
    name: str
    category: str
    category_label: str
    deeds: str


class ElectionOut(Schema):
    id: int
    title: str
    community_id: int
    status: str
    status_label: str
    max_choices: int
    seats: int
    vote_from: dt.date
    vote_to: dt.date
    publicity_until: dt.date | None
    published_on: dt.date | None


class ElectionDetailOut(ElectionOut):
    candidates: list[CandidateOut] = Field(description="The candidates on the ballot")
    has_voted: bool | None = Field(description="Whether you voted (null if you cannot vote)")


class ResultOut(Schema):
    id: int
    name: str
    category: str
    votes: int | None
    committee_score: int | None
    combined_score: float | None
    rank: int | None
    elected: bool


class TurnoutOut(Schema):
    voters: int
    eligible: int | None = Field(description="Verified residents of the community")
    rate: float | None


class ResultsOut(Schema):
    election_id: int
    status: str
    vote_weight: int = Field(description="Percent of the combined score from the vote share")
    candidates: list[ResultOut]
    turnout: TurnoutOut


class VoteIn(Schema):
    choices: list[int] = Field(description="Candidate ids, at least one, at most max_choices")


class VoteOut(Schema):
    receipt: uuid.UUID = Field(description="The ballot's random key; it names no voter")


class RollRowOut(Schema):
    rank: int
    name: str
    value: float


class RollOut(Schema):
    id: int
    rule: str
    label: str
    metric: str
    period_start: dt.date
    period_end: dt.date
    status: str
    published_at: dt.datetime | None
    rows: list[RollRowOut]


class TalentOut(Schema):
    id: int
    name: str
    field: str
    skills: str
    story: str
    recommendations: list[dict]


def _election_out(election) -> dict:
    return {
        "id": election.pk,
        "title": election.title,
        "community_id": election.community_id,
        "status": election.status,
        "status_label": election.get_status_display(),
        "max_choices": election.max_choices,
        "seats": election.seats,
        "vote_from": election.vote_from,
        "vote_to": election.vote_to,
        "publicity_until": election.publicity_until,
        "published_on": election.published_on,
    }


def _election(request, election_id: int):
    return get_or_404(selectors.election_list(request.user), election_id, _("No such election"))


@router.get("/elections", response=Page[ElectionOut], summary="Elections you can see")
def election_list(
    request, paging: Query[PageIn], place: str | None = Query(None, description=PLACE_HELP)
):
    page = paginate(selectors.election_list(request.user, place=parse_place(place)), paging)
    page["results"] = [_election_out(e) for e in page["results"]]
    return page


@router.get("/elections/{election_id}", response={200: ElectionDetailOut, 404: ErrorOut})
def election_detail(request, election_id: int):
    election = _election(request, election_id)
    resident = rules.voter_of(request.user)
    return {
        **_election_out(election),
        "candidates": [
            {
                "id": c.pk,
                "name": c.name,
                "category": c.category,
                "category_label": c.get_category_display(),
                "deeds": c.deeds,
            }
            for c in selectors.ballot_candidates(election)
        ],
        "has_voted": selectors.has_voted(election, resident) if resident else None,
    }


@router.post("/elections/{election_id}/vote", response={201: VoteOut, **REFUSED})
def election_vote(request, election_id: int, payload: VoteIn):
    election = _election(request, election_id)
    ballot = services.election_vote(election=election, actor=request.user, choices=payload.choices)
    return responses.Status(201, {"receipt": ballot.pk})


@router.get(
    "/elections/{election_id}/results", response={200: ResultsOut, 403: ErrorOut, 404: ErrorOut}
)
def election_results(request, election_id: int):
    election = _election(request, election_id)
    if not rules.can_see_results(request.user, election):
        raise ApiError(403, "not_published", _("The results are not published yet."))
    results = selectors.results(election)
    return {
        "election_id": election.pk,
        "status": election.status,
        "vote_weight": election.vote_weight,
        "candidates": [
            {
                "id": c.pk,
                "name": c.name,
                "category": c.category,
                "votes": c.votes,
                "committee_score": c.committee_score,
                "combined_score": c.combined_score,
                "rank": c.rank,
                "elected": c.elected,
            }
            for c in results["candidates"]
        ],
        "turnout": results["turnout"],
    }


def _roll_out(roll) -> dict:
    return {
        "id": roll.pk,
        "rule": roll.rule.name,
        "label": roll.label,
        "metric": roll.metric,
        "period_start": roll.period_start,
        "period_end": roll.period_end,
        "status": roll.status,
        "published_at": roll.published_at,
        "rows": [{"rank": r["rank"], "name": r["name"], "value": r["value"]} for r in roll.rows],
    }


@router.get("/rolls", response=Page[RollOut], summary="Honour rolls (residents: published only)")
def roll_list(
    request, paging: Query[PageIn], place: str | None = Query(None, description=PLACE_HELP)
):
    page = paginate(selectors.roll_list(request.user, place=parse_place(place)), paging)
    page["results"] = [_roll_out(r) for r in page["results"]]
    return page


@router.get("/rolls/{roll_id}", response={200: RollOut, 404: ErrorOut})
def roll_detail(request, roll_id: int):
    return _roll_out(get_or_404(selectors.roll_list(request.user), roll_id, _("No such roll")))


@router.get("/talent", response=Page[TalentOut], summary="The talent pool (staff-like users)")
def talent_list(
    request,
    paging: Query[PageIn],
    place: str | None = Query(None, description=PLACE_HELP),
    q: str = Query("", max_length=60, description="Part of the name, field or skills"),
):
    qs = selectors.talent_list(request.user, place=parse_place(place), text=q.strip())
    page = paginate(qs.prefetch_related("recommendations"), paging)
    page["results"] = [
        {
            "id": p.pk,
            "name": p.name,
            "field": p.field,
            "skills": p.skills,
            "story": p.story,
            "recommendations": [
                {"level": r.level, "year": r.year, "title": r.title, "outcome": r.outcome}
                for r in p.recommendations.all()
            ],
        }
        for p in page["results"]
    ]
    return page

"""Micro-projects and wishes over the API (/api/v1/projects): list, detail, every transition,
pre-evaluation votes and post-evaluation ratings. A refused write is the service's
``ProjectError`` as JSON with the same stable code (one handler in ``gongzhi/api.py``): 403
``forbidden``/``not_in_scope``, 409 for stage conflicts and repeats, 400 for the rest. Path ids
are bounded (``DbId``): a huge id is a 422, never a 500. Free text arrives without control
characters (``CleanStr``)."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Path, Query, Router, Schema

from gongzhi.core.apischema import (
    REFUSED,
    ApiError,
    DbId,
    ErrorOut,
    Page,
    PageIn,
    get_or_404,
    paginate,
    parse_place,
)
from gongzhi.core.text import CleanStr
from gongzhi.projects import rules, selectors, services
from gongzhi.projects.models import Kind, Stage, WishStatus

router = Router(tags=["projects"])

#: A project's or a wish's id in the path.
PathId = Path[DbId]


class ProjectOut(Schema):
    id: int
    kind: str
    title: str
    description: str
    place: str = Field(alias="scope_label")
    source: str
    stage: str
    progress: int
    budget: Decimal | None
    planner_id: int | None
    votes_support: int
    votes_oppose: int
    decision_note: str
    started_on: dt.date | None
    completed_on: dt.date | None
    rating_count: int
    rating_average: Decimal | None
    satisfaction: Decimal | None


class ProjectFilters(Schema):
    place: str | None = None
    kind: Kind | None = None
    stage: Stage | None = None
    q: str = Field("", max_length=60)


class ProjectVoteIn(Schema):
    choice: str
    comment: CleanStr = ""


class RatingIn(Schema):
    score: int
    comment: CleanStr = ""


class DecideIn(Schema):
    approve: bool
    reasoning: CleanStr


class ProjectDone(Schema):
    id: int
    stage: str


class WishOut(Schema):
    id: int
    text: str
    category: str
    status: str
    place: str = Field(alias="scope_label")
    claimed_by_id: int | None
    fulfil_note: str


class WishIn(Schema):
    text: CleanStr
    category: str


class FulfilIn(Schema):
    note: CleanStr


def _project(request, pk: int):
    from django.utils.translation import gettext as _

    return get_or_404(rules.projects_visible(request.auth), pk, _("No such project."))


@router.get("/", response=Page[ProjectOut])
def list_projects(request, filters: Query[ProjectFilters], paging: Query[PageIn]):
    qs = selectors.project_list(
        request.auth,
        place=parse_place(filters.place),
        kind=filters.kind or "",
        stage=filters.stage or "",
        q=filters.q,
    )
    return paginate(qs, paging)


@router.get("/wishes", response=Page[WishOut])
def list_wishes(request, paging: Query[PageIn], status: WishStatus | None = None):
    return paginate(selectors.wish_list(request.auth, status=status or ""), paging)


@router.post("/wishes", response={201: WishOut, **REFUSED})
def post_wish(request, data: WishIn):
    return 201, services.wish_post(actor=request.auth, text=data.text, category=data.category)


def _wish(request, pk: int):
    from django.utils.translation import gettext as _

    return get_or_404(rules.wishes_visible(request.auth), pk, _("No such wish."))


@router.post("/wishes/{pk}/claim", response={200: WishOut, **REFUSED})
def claim_wish(request, pk: PathId):
    return services.wish_claim(actor=request.auth, wish=_wish(request, pk))


@router.post("/wishes/{pk}/fulfil", response={200: WishOut, **REFUSED})
def fulfil_wish(request, pk: PathId, data: FulfilIn):
    return services.wish_fulfil(actor=request.auth, wish=_wish(request, pk), note=data.note)


@router.post("/wishes/{pk}/confirm", response={200: WishOut, **REFUSED})
def confirm_wish(request, pk: PathId):
    return services.wish_confirm(actor=request.auth, wish=_wish(request, pk))


@router.get("/{pk}", response={200: ProjectOut, 404: ErrorOut})
def project_detail(request, pk: PathId):
    return _project(request, pk)


TRANSITIONS = {
    "open-pre-evaluation": services.project_open_pre_evaluation,
    "start": services.project_start,
    "complete": services.project_complete,
    "open-post-evaluation": services.project_open_post_evaluation,
    "close": services.project_close,
}


@router.post("/{pk}/decide", response={200: ProjectDone, **REFUSED})
def decide(request, pk: PathId, data: DecideIn):
    project = services.project_decide(
        actor=request.auth,
        project=_project(request, pk),
        approve=data.approve,
        reasoning=data.reasoning,
    )
    return {"id": project.pk, "stage": project.stage}


@router.post("/{pk}/votes", response={201: dict, **REFUSED})
def vote(request, pk: PathId, data: ProjectVoteIn):
    row = services.project_vote(
        actor=request.auth,
        project=_project(request, pk),
        choice=data.choice,
        comment=data.comment,
    )
    return 201, {"id": row.pk, "choice": row.choice}


@router.get("/{pk}/votes", response={200: dict, 404: ErrorOut})
def votes(request, pk: PathId):
    return services.tally(_project(request, pk))


@router.post("/{pk}/ratings", response={201: dict, **REFUSED})
def rate(request, pk: PathId, data: RatingIn):
    row = services.project_rate(
        actor=request.auth,
        project=_project(request, pk),
        score=data.score,
        comment=data.comment,
    )
    return 201, {"id": row.pk, "score": row.score}


@router.get("/{pk}/ratings", response={200: dict, 404: ErrorOut})
def ratings(request, pk: PathId):
    summary = services.rating_summary(_project(request, pk).ratings.all())
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in summary.items()}


@router.post("/{pk}/{transition}", response={200: ProjectDone, **REFUSED})
def transition(request, pk: PathId, transition: str):
    from django.utils.translation import gettext as _

    service = TRANSITIONS.get(transition)
    if service is None:
        raise ApiError(404, "not_found", _("Unknown transition."))
    project = service(actor=request.auth, project=_project(request, pk))
    return {"id": project.pk, "stage": project.stage}

"""The experience library over the API (/api/v1/experiences): search and add."""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.core.apischema import (
    ErrorOut,
    Page,
    PageIn,
    get_or_404,
    paginate,
    parse_place,
)
from gongzhi.core.text import CleanStr
from gongzhi.experiences import rules, selectors, services
from gongzhi.places.models import Community, Compound

router = Router(tags=["experiences"])


class ExperienceOut(Schema):
    id: int
    title: str
    body: str
    tags: list[str]
    community_id: int
    compound_id: int | None
    matter_id: int | None
    meeting_id: int | None
    project_id: int | None
    mediation_case_id: int | None
    contributor: str
    created_at: dt.datetime

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return [t.name for t in obj.tags.all()]


class ExperienceIn(Schema):
    title: CleanStr
    body: CleanStr
    tags: list[CleanStr] = []
    community_id: int | None = None
    compound_id: int | None = None
    contributor: CleanStr = ""


class ExperienceFilters(Schema):
    place: str | None = None
    q: str = Field("", max_length=60)
    tag: str = Field("", max_length=20)


@router.get("/", response=Page[ExperienceOut])
def list_experiences(request, filters: Query[ExperienceFilters], paging: Query[PageIn]):
    qs = selectors.experience_list(
        request.auth, place=parse_place(filters.place), q=filters.q, tag=filters.tag
    )
    return paginate(qs, paging)


@router.get("/{pk}", response={200: ExperienceOut, 404: ErrorOut})
def detail(request, pk: int):
    return get_or_404(rules.experiences_visible(request.auth), pk, _("No such experience."))


@router.post("/", response={201: ExperienceOut, 400: ErrorOut, 403: ErrorOut})
def create(request, data: ExperienceIn):
    compound = Compound.objects.filter(pk=data.compound_id).first() if data.compound_id else None
    community = (
        Community.objects.filter(pk=data.community_id).first() if data.community_id else None
    )
    entry = services.experience_create(
        actor=request.auth,
        title=data.title,
        body=data.body,
        tags=data.tags,
        community=community,
        compound=compound,
        contributor=data.contributor,
    )
    return 201, entry

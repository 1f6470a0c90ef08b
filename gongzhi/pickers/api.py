"""The picker over the API: the same search as the pages' type-ahead."""

from ninja import Field, Query, Router, Schema

from gongzhi.core.apischema import ApiError, ErrorOut
from gongzhi.pickers.selectors import KINDS, PickError, search

router = Router(tags=["pickers"])


class PickIn(Schema):
    kinds: str = Field(description="Comma-separated: " + ", ".join(KINDS))
    q: str = Field("", max_length=40, description="What was typed: part of a name")
    community: int | None = Field(None, description="Only this community (narrows, never widens)")
    only: str | None = Field(None, description='A named narrowing of partners, e.g. "mediators"')


class OptionOut(Schema):
    value: str = Field(description='"<kind>:<id>", the value to submit')
    label: str
    hint: str = Field(description="What tells people with the same name apart")


class PickOut(Schema):
    items: list[OptionOut]


@router.get("", response={200: PickOut, 400: ErrorOut}, summary="Search people to choose")
def pick(request, params: Query[PickIn]):
    try:
        items = search(
            request.auth, params.q, params.kinds, community=params.community, only=params.only
        )
    except PickError as error:
        raise ApiError(400, "bad_kind", error.message) from None
    return {"items": items}

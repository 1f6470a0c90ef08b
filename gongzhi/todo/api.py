"""The user's to-do over the API: ``GET /api/v1/me/todo`` (see ``docs/todo.md``)."""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.core.apischema import ApiError, ErrorOut
from gongzhi.todo.selectors import KINDS, todo_for

router = Router(tags=["me"])


class TodoItemOut(Schema):
    kind: str = Field(description="Stable snake_case kind, e.g. matter_ack, vote_open")
    title: str = Field(description="What to do, in the request's language")
    link: str = Field(description="Site path of the page where it is done")
    place: str = Field(description="Where, in the request's language")
    due_at: dt.datetime | None = Field(description="When it is due, or null")
    overdue: bool


class TodoOut(Schema):
    items: list[TodoItemOut] = Field(description="Most urgent first, at most 50")
    counts: dict[str, int] = Field(
        description="Every kind the user's role can have, with its full count (zeros included)"
    )


class TodoIn(Schema):
    kind: str = Field("", description="Only items of this kind (counts stay complete)")


@router.get("/todo", response={200: TodoOut, 400: ErrorOut}, summary="My to-do list")
def my_todo(request, filters: Query[TodoIn]):
    if filters.kind and filters.kind not in KINDS:
        raise ApiError(400, "unknown_kind", _("There is no such kind of to-do."))
    return todo_for(request.user, kind=filters.kind or None)

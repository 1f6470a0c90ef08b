"""Pieces every API router shares: errors with a stable code, the pagination envelope, the
place parameter and the fetch-or-404 helper."""

import datetime as dt
import functools
from typing import Annotated, Generic, TypeVar, get_args

from django.db.models import Choices, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import HttpError
from pydantic import AfterValidator, WithJsonSchema

from gongzhi.core.places import Place

T = TypeVar("T")


def _naive(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError("a local time of day without a timezone, e.g. 22:00")
    return value


#: A local time of day ("22:00" or "22:00:00"). JSON Schema's ``time`` format requires a
#: timezone offset, which a meeting's start or quiet hours do not have: documented as a
#: pattern instead, and an offset sent is refused (422), never stored.
LocalTime = Annotated[
    dt.time,
    AfterValidator(_naive),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$",
            "examples": ["22:00"],
        }
    ),
]

PLACE_HELP = (
    "Only rows inside this place, written level:id — subdistrict:1, community:1, compound:3, "
    "building:7, grid:2 or household:9. Narrows what you may see; never widens it."
)


class ApiError(HttpError):
    """An error answered as ``{"code": ..., "message": ...}``; ``message`` is already translated."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code, message)
        self.code = code


class ErrorOut(Schema):
    code: str = Field(description="Stable, machine-readable error code, e.g. not_found")
    message: str = Field(description="Human-readable message in the request's language")


#: A row id as a client sends it: a positive integer the database can hold (ids are 64-bit), so
#: a huge number is answered 422, never 500: ``partner_ids: list[DbId]``.
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]

#: The refusals every write endpoint documents (a ``ServiceError`` answers with one of them).
REFUSED = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class PageIn(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="1-based page number")
    page_size: int = Field(20, ge=1, le=100, description="Rows per page, at most 100")


class Page(Schema, Generic[T]):
    count: int = Field(description="Rows matching the filters (all pages)")
    page: int
    page_size: int
    results: list[T]


class Ref(Schema):
    """A named object referred to from another one."""

    id: int
    name: str


def paginate(qs: QuerySet, paging: PageIn) -> dict:
    """One COUNT and one slice of ``qs``; a page past the end has no results."""
    start = (paging.page - 1) * paging.page_size
    return {
        "count": qs.count(),
        "page": paging.page,
        "page_size": paging.page_size,
        "results": list(qs[start : start + paging.page_size]),
    }


def parse_place(text: str | None) -> Place | None:
    try:
        return Place.parse(text)
    except ValueError:
        message = _("Unknown place %(place)s: write it as level:id, for example compound:3")
        raise ApiError(400, "bad_place", message % {"place": text}) from None


def get_or_404(qs: QuerySet, pk: int, message: str):
    """The row ``pk`` of an already scoped queryset, or a 404 that says nothing about others."""
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise ApiError(404, "not_found", message)
    return obj


def plain(schema: type[Schema], obj) -> dict:
    """What ``schema.from_orm(obj).dict()`` gives, read straight from ``obj``: each field from
    the schema's static ``resolve_<field>(obj)`` or the attribute of that name, nested schemas
    alike. For an answer built at every request (a submit's lean 201), where pydantic's
    validation through ninja's getter cost more than the rest of the answer; the schema stays
    what the OpenAPI document shows, and ``tests/test_matters_intake_fast.py`` checks both give
    the same answer."""
    out = {}
    for name, resolver, nested in _plan(schema):
        value = resolver(obj) if resolver is not None else getattr(obj, name)
        if nested is not None and value is not None and not isinstance(value, dict):
            value = plain(nested, value)
        out[name] = value
    return out


@functools.cache
def _plan(schema: type[Schema]) -> tuple:
    """``plain``'s reading of ``schema``, worked out once: (field, its resolver or None, its
    nested schema or None) for each field, in the schema's order."""
    return tuple(
        (name, getattr(schema, f"resolve_{name}", None), _nested_schema(field.annotation))
        for name, field in schema.model_fields.items()
    )


def _nested_schema(annotation) -> type[Schema] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, Schema):
            return candidate
    return None


def label_of(choices: type[Choices], value: str) -> str:
    """The translated label of ``value`` among ``choices``, as ``get_<field>_display()``
    gives it (the value itself when it is not among them), without rebuilding the field's
    choices for every call (about 35 µs each, four per matter in every list and answer) nor
    translating the label again (a catalogue look-up per call: the labels are kept per
    language, and a catalogue does not change while the process runs)."""
    label = _labels(choices, get_language()).get(value)
    return value if label is None else label


@functools.cache
def _labels(choices: type[Choices], language: str | None) -> dict[str, str]:
    """Value → label in ``language``: the language in use when it is called (``label_of``
    passes ``get_language()``, whose catalogue ``str`` of a lazy label reads)."""
    return {member.value: str(member.label) for member in choices}

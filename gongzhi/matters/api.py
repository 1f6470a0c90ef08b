"""Matters over the API (/api/v1/matters): submit, list, detail, every transition, feedback,
photos, the classifier and the WeChat paste.

Each endpoint calls one service from ``services.py`` (or a selector for reads). A refused write
is the service's ``MatterError``, answered by the one ``ServiceError`` handler in
``gongzhi/api.py`` with the same stable code: 403 for ``forbidden``, ``not_reporter``,
``not_in_scope`` and ``field_not_allowed``, 409 for ``bad_state`` and ``too_early``, 400 for the
rest (``matters.errors.MatterError.statuses``). Free text arrives cleaned of control characters
(``CleanStr``).
"""

import datetime as dt
import functools
import json
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Header, Query, Router, Schema, responses
from ninja.files import UploadedFile
from ninja.responses import NinjaJSONEncoder

from gongzhi.accounts.scope import is_staff_like
from gongzhi.core.apischema import (
    PLACE_HELP,
    REFUSED,
    ApiError,
    ErrorOut,
    Page,
    PageIn,
    Ref,
    get_or_404,
    label_of,
    paginate,
    parse_place,
    plain,
)
from gongzhi.core.identity import normalize_phone
from gongzhi.core.text import CleanStr
from gongzhi.matters import selectors, services
from gongzhi.matters.chatpaste import ChatParse, parse_chat
from gongzhi.matters.models import (
    MAX_TEXT_LENGTH,
    Category,
    Channel,
    Matter,
    MatterEvent,
    MatterOwner,
    Priority,
    Satisfaction,
    Status,
    Tier,
    owner_label,
)
from gongzhi.partners.models import Organisation, Partner, Team
from gongzhi.partners.rules import organisations_visible, partners_visible, teams_visible
from gongzhi.pickers.selectors import users_visible

router = Router(tags=["matters"])

MAX_BATCH = 100


# ---- schemas --------------------------------------------------------------------------------


class PlaceOut(Schema):
    level: str = Field(description="community, compound, building or household")
    id: int
    label: str


class SuggestionOut(Schema):
    category: str
    tier: str
    confidence: float = Field(description="Probability of the category, 0–1")
    alternatives: list[tuple[str, float]] = Field(
        description="Other likely categories with their probabilities, best first"
    )


class MatterOut(Schema):
    id: int
    text: str
    status: str
    status_label: str
    category: str
    category_label: str
    tier: str
    tier_label: str
    channel: str
    channel_label: str
    priority: str
    place: PlaceOut
    community: Ref
    reporter_name: str
    reporter_contact_masked: str
    suggested_category: str
    suggested_tier: str
    suggestion_confidence: float | None
    classification_confirmed: bool
    overdue: bool
    created_at: dt.datetime
    ack_due_at: dt.datetime | None = Field(description="Acknowledge by")
    due_at: dt.datetime | None = Field(description="Resolve by")
    acknowledged_at: dt.datetime | None
    assigned_at: dt.datetime | None
    done_at: dt.datetime | None
    closed_at: dt.datetime | None
    satisfaction: str

    @staticmethod
    def resolve_status_label(obj) -> str:
        return label_of(Status, obj.status)

    @staticmethod
    def resolve_category_label(obj) -> str:
        return label_of(Category, obj.category)

    @staticmethod
    def resolve_tier_label(obj) -> str:
        return label_of(Tier, obj.tier)

    @staticmethod
    def resolve_channel_label(obj) -> str:
        return label_of(Channel, obj.channel)

    @staticmethod
    def resolve_place(obj) -> dict:
        place = obj.place
        level = type(place).__name__.lower()
        return {"level": level, "id": place.pk, "label": str(place)}


class OwnerOut(Schema):
    kind: str = Field(description="partner, team, organisation or user (a grid worker or staff)")
    id: int
    name: str
    is_whistle: bool = Field(description="A department summoned with a response deadline")
    respond_by: dt.datetime | None
    assigned_at: dt.datetime

    @staticmethod
    def resolve_kind(obj) -> str:
        return "user" if obj.user_id else type(obj.actor).__name__.lower()

    @staticmethod
    def resolve_id(obj) -> int:
        return obj.actor.pk

    @staticmethod
    def resolve_name(obj) -> str:
        return owner_label(obj.actor)


class EventOut(Schema):
    at: dt.datetime
    action: str
    action_label: str
    detail: str = Field(description="What the event's data adds, in words (may be empty)")
    actor: str = Field(description="Who acted; residents see roles, not names")
    from_status: str
    to_status: str
    note: str


class PhotoOut(Schema):
    id: int
    content_type: str
    size: int
    uploaded_at: dt.datetime


class MatterSubmittedOut(MatterOut):
    """The lean answer of a submit (``Prefer: return=minimal``): the matter's own fields, each
    equal to the same key of ``GET /matters/{id}``, and the link to its page."""

    link: str = Field(description="The matter's page on the web, e.g. /matters/42/")

    @staticmethod
    def resolve_link(obj) -> str:
        return services.matter_link(obj)


class MatterDetailOut(MatterOut):
    reporters_count: int
    owners: list[OwnerOut]
    events: list[EventOut]
    photos: list[PhotoOut]
    working_mode: str
    merged_into: int | None = Field(description="The matter this duplicate was merged into")
    closing_reason: str
    referred_to: str
    feedback_comment: str
    reopen_count: int
    escalation_level: int
    bounce_count: int

    @staticmethod
    def resolve_merged_into(obj) -> int | None:
        return obj.merged_into_id

    @staticmethod
    def resolve_events(obj) -> list[dict]:
        return obj.events_out


class MatterIn(Schema):
    text: CleanStr = Field(
        description=f"What the resident asks for, at most {MAX_TEXT_LENGTH} chars"
    )
    channel: str = Field(Channel.ONLINE_WEB, description="One of: " + ", ".join(Channel.values))
    place: str = Field(
        description="The place the matter concerns: community:1, compound:3, building:7 or "
        "household:9"
    )
    reporter_id: int | None = Field(None, description="The resident who reports (staff only)")
    reporter_name: CleanStr = Field("", max_length=40, description="Name if not a known resident")
    reporter_contact: str = Field("", max_length=20, description="Phone to tell the result")
    category: str | None = Field(None, description="Leave out to take the classifier's guess")
    tier: str | None = Field(None, description="small, big or hard; leave out to guess")
    priority: Priority = Priority.NORMAL
    handled_on_spot: bool = Field(
        False,
        description="当场办结: a grid worker or staff member already handled this small matter; "
        "the answer is the matter done (or closed unrated when no reporter can be asked)",
    )
    resolution_note: CleanStr = Field(
        "", max_length=1000, description="What was done on the spot (required with it)"
    )


class NoteIn(Schema):
    note: CleanStr = Field("", max_length=1000)


class ClassifyMatterIn(Schema):
    category: Category
    tier: Tier


class AssignIn(Schema):
    partner_ids: list[int] = []
    team_ids: list[int] = []
    organisation_ids: list[int] = []
    user_ids: list[int] = Field([], description="Grid workers or community staff (user accounts)")
    whistle_organisation_ids: list[int] = Field(
        [], description="Departments summoned with a response deadline (吹哨)"
    )
    whistle_hours: int = Field(72, ge=1, le=720)
    working_mode: str = Field("", description="cooperate, deliberate or joint")
    note: CleanStr = Field("", max_length=1000)


class MergeIn(Schema):
    into: int = Field(description="The open matter this one duplicates")


class ReferIn(Schema):
    to: CleanStr = Field(max_length=120, description="The body the matter went to")
    reason: CleanStr = Field(max_length=1000)


class MatterReasonIn(Schema):
    reason: CleanStr = Field(max_length=1000)


class WithdrawIn(Schema):
    reason: CleanStr = Field("", max_length=1000)


class FeedbackIn(Schema):
    satisfaction: Satisfaction
    comment: CleanStr = Field("", max_length=1000)


class ClassifyIn(Schema):
    text: CleanStr | None = Field(None, description="One text; the answer is one suggestion")
    texts: list[CleanStr] | None = Field(
        None, description=f"Several texts (at most {MAX_BATCH}); the answer is a list"
    )


class ChatPasteIn(Schema):
    text: CleanStr = Field(description="The chat as copied from WeChat, at most 50,000 characters")


class ChatMessageOut(Schema):
    nickname: str
    time: str = Field(description="As shown in the chat, e.g. 2024-05-03 08:15 or 08:15")
    at: dt.datetime | None = Field(description="When the day is known")
    text: str
    line: int = Field(description="Line of the paste where the message starts")


class DraftOut(ChatMessageOut):
    key: str = Field(description="Send as Idempotency-Key to create the matter once")
    too_long: bool
    suggestion: SuggestionOut


class SetAsideOut(ChatMessageOut):
    reason: str = Field(description="system, media, thanks or chitchat")
    reason_label: str


class ChatParseOut(Schema):
    format: str = Field(description="pc, bracket, phone or colon")
    drafts: list[DraftOut]
    set_aside: list[SetAsideOut]

    @staticmethod
    def resolve_drafts(obj: ChatParse) -> list[dict]:
        return [
            {
                **vars(draft.message),
                "key": draft.message.key,
                "too_long": draft.too_long,
                "suggestion": draft.suggestion,
            }
            for draft in obj.drafts
        ]

    @staticmethod
    def resolve_set_aside(obj: ChatParse) -> list[dict]:
        return [
            {**vars(item.message), "reason": item.reason, "reason_label": item.reason_label}
            for item in obj.set_aside
        ]


# ---- reads ----------------------------------------------------------------------------------


def _list_qs(user, **filters):
    return selectors.matter_list(user, **filters).select_related(
        "household__unit__building__compound"
    )


def _detail(user, matter_id: int) -> Matter:
    """The matter with everything the detail shows (404 if the user may not see it)."""
    qs = _list_qs(user).annotate(reporters_count=Count("reporters", distinct=True))
    qs = qs.prefetch_related(
        Prefetch(
            "owners",
            queryset=MatterOwner.objects.filter(active=True).select_related(
                "partner", "team", "organisation", "user__profile"
            ),
        ),
        Prefetch("events", queryset=MatterEvent.objects.select_related("actor__profile")),
        "photos",
    )
    matter = get_or_404(qs, matter_id, _("Matter not found"))
    matter.events_out = [
        {
            "at": event.at,
            "action": event.action,
            "action_label": selectors.event_label(event),
            "detail": selectors.event_detail(event),
            "actor": selectors.actor_label(user, event),
            "from_status": event.from_status,
            "to_status": event.to_status,
            "note": event.note,
        }
        for event in matter.events.all()
    ]
    return matter


def _status_filter(status: str | None) -> str | None:
    if status and status not in selectors.STATUS_GROUPS and status not in Status.values:
        raise ApiError(
            400,
            "bad_filter",
            _("Unknown status %(status)s: use a status, open or resolved") % {"status": status},
        )
    return status


class MatterFilters(Schema):
    place: str | None = Field(None, description=PLACE_HELP)
    status: str | None = Field(
        None, description="A status, or open (all open statuses) or resolved (done or closed)"
    )
    tier: Tier | None = None
    category: Category | None = None
    channel: Channel | None = None
    overdue: bool | None = Field(None, description="Past the resolve-by time or flagged late")
    q: str | None = Field(None, description="Part of the text or reporter name, or #id")
    since: dt.date | None = Field(None, description="Submitted on or after this day")
    until: dt.date | None = Field(None, description="Submitted on or before this day")


@router.get("", response={200: Page[MatterOut], 400: ErrorOut}, summary="List matters")
def matters_list(request, paging: Query[PageIn], filters: Query[MatterFilters]):
    qs = _list_qs(
        request.auth,
        place=parse_place(filters.place),
        status=_status_filter(filters.status),
        tier=filters.tier,
        category=filters.category,
        channel=filters.channel,
        overdue=filters.overdue,
        search=filters.q,
        since=filters.since,
        until=filters.until,
    )
    return paginate(qs, paging)


@router.get(
    "/{int:matter_id}",
    response={200: MatterDetailOut, 404: ErrorOut},
    summary="One matter with owners, deadlines and history",
)
def matter_detail(request, matter_id: int):
    return _detail(request.auth, matter_id)


# ---- submit ---------------------------------------------------------------------------------


def _contact(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return normalize_phone(value)
    except ValidationError as exc:
        raise ApiError(400, "invalid_contact", exc.messages[0]) from None


# The lean shape, inline in the submit's 201 (ninja lists only schemas it answers with itself);
# its nested PlaceOut and Ref point at the components the list already declares.
_LEAN_SCHEMA = {
    key: value
    for key, value in MatterSubmittedOut.model_json_schema(
        ref_template="#/components/schemas/{model}"
    ).items()
    if key != "$defs"
}

#: ``Prefer: return=minimal`` (RFC 7240) asks for the lean answer of a submit.
_MINIMAL = re.compile(r"(^|[,;\s])return\s*=\s*\"?minimal\"?\s*($|[,;\s])", re.IGNORECASE)


def _wants_minimal(prefer: str | None) -> bool:
    return bool(prefer) and _MINIMAL.search(prefer) is not None


def _submitted(matter: Matter, status: int) -> HttpResponse:
    """The lean answer of a submit: ``MatterSubmittedOut`` from the matter in hand (the
    service's own object, its places already loaded), without another query."""
    body = plain(MatterSubmittedOut, matter)
    response = HttpResponse(
        json.dumps(body, cls=NinjaJSONEncoder),
        status=status,
        content_type="application/json; charset=utf-8",
    )
    response["Preference-Applied"] = "return=minimal"
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    response["Location"] = f"{_detail_head(get_script_prefix(), urlconf)}{matter.pk}"
    return response


@functools.lru_cache(maxsize=8)
def _detail_head(script_prefix: str, urlconf) -> str:
    """``reverse("api:matter_detail", …)`` without the id, once per script prefix and URL
    configuration (what ``reverse`` reads): reversing a namespaced name cost ~50 µs a submit."""
    url = reverse("api:matter_detail", kwargs={"matter_id": 1}, urlconf=urlconf)
    assert url.endswith("/1"), url
    return url[:-1]


@router.post(
    "",
    response={200: MatterDetailOut, 201: MatterDetailOut, **REFUSED},
    summary="Submit a matter",
    description="With an Idempotency-Key header a retried submit answers 200 with the matter "
    "the first attempt created (201) and never creates a second one.\n\n"
    "The answer is the matter's full detail, as `GET /matters/{id}` gives it. With "
    "`Prefer: return=minimal` (RFC 7240) it is the lean `MatterSubmittedOut` instead: the "
    "matter's own fields as the list shows them (id, status, classification, place, "
    "deadlines …) and `link`, without owners, history and photos; the answer then carries "
    "`Preference-Applied: return=minimal` and `Location` (the detail's URL). A retry answers "
    "in the shape its own request asks for.",
    openapi_extra={
        "responses": {
            "201": {
                "description": "The matter was created: its detail, or with "
                "`Prefer: return=minimal` the lean `MatterSubmittedOut`",
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [
                                {"$ref": "#/components/schemas/MatterDetailOut"},
                                _LEAN_SCHEMA,
                            ]
                        }
                    }
                },
            }
        }
    },
)
def matter_submit(
    request,
    payload: MatterIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", description="Any unique string up to 80 characters"
    ),
    prefer: str | None = Header(
        None,
        alias="Prefer",
        description="return=minimal for the lean answer (MatterSubmittedOut); "
        "return=representation or nothing for the full detail",
    ),
):
    user = request.auth
    if idempotency_key is not None and not 0 < len(idempotency_key.strip()) <= 80:
        raise ApiError(
            400, "invalid_idempotency_key", _("The Idempotency-Key must be 1 to 80 characters.")
        )
    place, reporter = selectors.submit_place_and_reporter(
        user, parse_place(payload.place), payload.reporter_id
    )
    now = timezone.now()
    matter = services.matter_submit(
        actor=user,
        text=payload.text,
        channel=payload.channel,
        place=place,
        reporter=reporter,
        reporter_name=payload.reporter_name.strip(),
        reporter_contact=_contact(payload.reporter_contact),
        category=payload.category,
        tier=payload.tier,
        priority=payload.priority,
        handled_on_spot=payload.handled_on_spot,
        resolution_note=payload.resolution_note,
        idempotency_key=idempotency_key.strip() if idempotency_key else None,
        now=now,
    )
    # A matter made by this request carries this request's time; a retry gets the first one.
    created = matter.created_at == now
    status = 201 if created else 200
    if _wants_minimal(prefer):
        if not created:
            # The first attempt's matter, read back with its places (and as the user sees it).
            matter = get_or_404(_list_qs(user), matter.pk, _("Matter not found"))
        return _submitted(matter, status)
    return responses.Status(status, _detail(user, matter.pk))


# ---- transitions ----------------------------------------------------------------------------


def _act(request, matter_id: int, service: Callable, **kwargs):
    user = request.auth
    matter = get_or_404(selectors.matter_list(user), matter_id, _("Matter not found"))
    service(actor=user, matter=matter, **kwargs)
    return _detail(user, matter_id)


def _transition(path: str, summary: str):
    return router.post(
        f"/{{int:matter_id}}/{path}", response={200: MatterDetailOut, **REFUSED}, summary=summary
    )


@_transition("acknowledge", "Acknowledge a received matter")
def matter_acknowledge(request, matter_id: int, payload: NoteIn):
    return _act(request, matter_id, services.matter_acknowledge, note=payload.note)


@_transition("classify", "Confirm or correct the category and tier")
def matter_classify(request, matter_id: int, payload: ClassifyMatterIn):
    return _act(
        request,
        matter_id,
        services.matter_classify,
        category=payload.category,
        tier=payload.tier,
    )


def _visible_by_id(qs, ids: list[int], what: str) -> list:
    found = list(qs.filter(pk__in=set(ids)))
    if len(found) != len(set(ids)):
        raise ApiError(400, "invalid_owner", _("Unknown %(what)s.") % {"what": what})
    return found


@_transition("assign", "Assign owners (partners, teams, organisations, grid workers, staff)")
def matter_assign(request, matter_id: int, payload: AssignIn):
    user = request.auth
    owners = [
        *_visible_by_id(
            partners_visible(user, Partner.objects.all()), payload.partner_ids, _("partner")
        ),
        *_visible_by_id(teams_visible(user, Team.objects.all()), payload.team_ids, _("team")),
        *_visible_by_id(
            organisations_visible(user, Organisation.objects.all()),
            payload.organisation_ids,
            _("organisation"),
        ),
        *_visible_by_id(
            users_visible(user),
            payload.user_ids,
            _("grid worker or staff member"),
        ),
    ]
    whistle = _visible_by_id(
        organisations_visible(user, Organisation.objects.all()),
        payload.whistle_organisation_ids,
        _("organisation"),
    )
    return _act(
        request,
        matter_id,
        services.matter_assign,
        owners=owners,
        whistle=whistle,
        whistle_hours=payload.whistle_hours,
        working_mode=payload.working_mode,
        note=payload.note,
    )


@_transition("deliberate", "Send a big or hard matter to deliberation")
def matter_deliberate(request, matter_id: int, payload: NoteIn):
    return _act(request, matter_id, services.matter_deliberate, note=payload.note)


@_transition("start", "Start the work")
def matter_start(request, matter_id: int, payload: NoteIn):
    return _act(request, matter_id, services.matter_start, note=payload.note)


@_transition("complete", "Mark the work done (the reporters are asked for feedback)")
def matter_complete(request, matter_id: int, payload: NoteIn):
    return _act(request, matter_id, services.matter_complete, note=payload.note)


@_transition("merge", "Merge a duplicate into another open matter")
def matter_merge(request, matter_id: int, payload: MergeIn):
    into = selectors.matter_list(request.auth).filter(pk=payload.into).first()
    if into is None:
        raise ApiError(400, "invalid_target", _("Merge into another open matter."))
    return _act(request, matter_id, services.matter_merge, into=into)


@_transition("refer", "Refer the matter to another body")
def matter_refer(request, matter_id: int, payload: ReferIn):
    return _act(request, matter_id, services.matter_refer, to=payload.to, reason=payload.reason)


@_transition("reject", "Reject the matter with a reason")
def matter_reject(request, matter_id: int, payload: MatterReasonIn):
    return _act(request, matter_id, services.matter_reject, reason=payload.reason)


@_transition("withdraw", "Withdraw the matter (a reporter or staff)")
def matter_withdraw(request, matter_id: int, payload: WithdrawIn):
    return _act(request, matter_id, services.matter_withdraw, reason=payload.reason)


@_transition("close-unrated", "Close a done matter nobody rated within the feedback window")
def matter_close_unrated(request, matter_id: int):
    return _act(request, matter_id, services.matter_close_unrated)


@_transition("feedback", "A reporter rates a done matter")
def matter_feedback(request, matter_id: int, payload: FeedbackIn):
    return _act(
        request,
        matter_id,
        services.matter_feedback,
        satisfaction=payload.satisfaction,
        comment=payload.comment,
    )


@router.post(
    "/{int:matter_id}/photos",
    response={201: PhotoOut, **REFUSED},
    summary="Add a photo (JPEG, PNG or WebP, at most 5 MB, 6 per matter)",
)
def matter_add_photo(request, matter_id: int, photo: File[UploadedFile]):
    user = request.auth
    matter = get_or_404(selectors.matter_list(user), matter_id, _("Matter not found"))
    photo = services.matter_add_photo(actor=user, matter=matter, upload=photo)
    return responses.Status(201, photo)


# ---- classifier and WeChat paste ------------------------------------------------------------


@router.post(
    "/classify",
    response={200: SuggestionOut | list[SuggestionOut], 400: ErrorOut},
    summary="Suggest category and tier for one text or several",
)
def matters_classify(request, payload: ClassifyIn):
    if (payload.text is None) == (payload.texts is None):
        raise ApiError(400, "invalid_text", _("Send either text or texts."))
    texts = [payload.text] if payload.texts is None else payload.texts
    if not 0 < len(texts) <= MAX_BATCH:
        raise ApiError(
            400, "invalid_text", _("Send 1 to %(max)d texts at a time.") % {"max": MAX_BATCH}
        )
    cleaned = [services.check_text(text) for text in texts]
    from gongzhi.matters.classifier import load

    suggestions = load().predict(cleaned)
    return suggestions[0] if payload.texts is None else suggestions


@router.post(
    "/chat-paste",
    response={200: ChatParseOut, 400: ErrorOut, 403: ErrorOut},
    summary="Split a pasted WeChat group chat into draft matters",
    description="Nothing is created: submit the drafts you want with POST /matters, sending "
    "each draft's key as Idempotency-Key.",
)
def matters_chat_paste(request, payload: ChatPasteIn):
    if not is_staff_like(request.auth):
        raise ApiError(403, "forbidden", _("Only staff and grid workers take in group chats."))
    return parse_chat(text=payload.text)

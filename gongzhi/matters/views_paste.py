"""线上反映·微信群: paste a WeChat group chat, get draft matters, create each with one click.

GET shows the form. POST with the chat shows the drafts and what was set aside. POST with
``action=create`` (one draft, sent by htmx) submits that draft through ``matter_submit`` on the
WeChat channel; the draft's content is its idempotency key, so a second click returns the same
matter instead of a second one.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gongzhi.accounts.scope import is_staff_like
from gongzhi.core.places import Place
from gongzhi.listing.pages import PlaceGroup, is_partial, place_options
from gongzhi.matters import selectors, services
from gongzhi.matters.chatpaste import MAX_PASTE_LENGTH, Message, parse_chat
from gongzhi.matters.errors import MatterError
from gongzhi.matters.models import Category, Channel, Tier

MATTER_LEVELS = ("community", "compound", "building")


def submit_places(user) -> list[PlaceGroup]:
    """The places a pasted matter can be filed under (grids are not places of a matter)."""
    groups = [
        PlaceGroup(group.label, [o for o in group.options if o.value.startswith(MATTER_LEVELS)])
        for group in place_options(user)
    ]
    return [group for group in groups if group.options]


def _create(request: HttpRequest) -> HttpResponse:
    data = request.POST
    message = Message(
        nickname=data.get("nickname", "").strip()[:40],
        time=data.get("time", "").strip(),
        at=None,
        text=data.get("text", "").replace("\r\n", "\n").strip(),
        line=0,
    )
    context = {
        "message": message,
        "place": data.get("place", ""),
        "category": data.get("category", ""),
        "tier": data.get("tier", ""),
    }
    try:
        try:
            place = Place.parse(data.get("place", "").strip())
        except ValueError:
            place = None
        matter = services.matter_submit(
            actor=request.user,
            text=message.text,
            channel=Channel.ONLINE_WECHAT,
            place=selectors.submit_place(request.user, place),
            reporter_name=message.nickname,
            category=data.get("category") or None,
            tier=data.get("tier") or None,
            idempotency_key=message.key,
        )
    except MatterError as exc:
        context["error"] = exc.message
        return _render_draft(request, context, status=200 if is_partial(request) else 400)
    context["matter"] = matter
    return _render_draft(request, context, status=200)


def _render_draft(request: HttpRequest, context: dict, *, status: int) -> HttpResponse:
    """One draft after a create: the card alone for htmx, or a small page without JavaScript."""
    context = {
        **context,
        "categories": Category.choices,
        "tiers": Tier.choices,
        "place_groups": submit_places(request.user),
    }
    template = "matters/_paste_draft.html" if is_partial(request) else "matters/paste.html"
    return render(request, template, {**context, "single": True}, status=status)


@login_required
def paste(request: HttpRequest) -> HttpResponse:
    if not is_staff_like(request.user):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("action") == "create":
        return _create(request)
    context = {
        "text": "",
        "place": "",
        "max_length": MAX_PASTE_LENGTH,
        "categories": Category.choices,
        "tiers": Tier.choices,
        "place_groups": submit_places(request.user),
    }
    status = 200
    if request.method == "POST":
        context["text"] = request.POST.get("text", "")
        context["place"] = request.POST.get("place", "")
        try:
            context["parse"] = parse_chat(context["text"])
        except MatterError as exc:
            context["error"] = exc.message
            status = 400
        else:
            context["drafts"] = [
                {
                    "message": d.message,
                    "suggestion": d.suggestion,
                    "suggested": _("%(category)s / %(tier)s (confidence %(confidence).0f%%)")
                    % {
                        "category": Category(d.suggestion.category).label,
                        "tier": Tier(d.suggestion.tier).label,
                        "confidence": d.suggestion.confidence * 100,
                    },
                    "too_long": d.too_long,
                }
                for d in context["parse"].drafts
            ]
    context["title"] = _("WeChat group paste")
    return render(request, "matters/paste.html", context, status=status)

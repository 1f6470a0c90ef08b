"""Matters pages: the staff workbench, intake, the matter page with its actions, and the
residents' phone-first pages (report, my matters, timeline, feedback).

Reads go through ``selectors.matter_list`` / ``rules.matters_visible``; every POST calls one
service and shows its ``MatterError`` message without changing anything. Intake is the one
exception: submit and its optional photo run in one transaction, so a refused photo undoes
the submit.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, Prefetch, QuerySet, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from gongzhi.accounts.models import UserRole
from gongzhi.accounts.scope import is_staff_like
from gongzhi.core.files import private_file
from gongzhi.core.naturalsort import natural_sorted
from gongzhi.core.places import Place
from gongzhi.listing.pages import BadFilter, choice_param, place_param, render_list, text_param
from gongzhi.matters import rules, services
from gongzhi.matters.duplicates import similar_open_matters
from gongzhi.matters.errors import MatterError
from gongzhi.matters.excel import matters_export
from gongzhi.matters.forms import (
    AssignForm,
    ClassifyForm,
    FeedbackForm,
    IntakeForm,
    MergeForm,
    NoteForm,
    PhotoSizeLimit,
    ReasonForm,
    ReferForm,
    ReportForm,
    WithdrawForm,
    photo_too_big_message,
)
from gongzhi.matters.models import (
    WORKING_STATUSES,
    Category,
    Channel,
    Matter,
    MatterOwner,
    Priority,
    Status,
    Tier,
    owner_label,
)
from gongzhi.matters.routing import candidates
from gongzhi.matters.rules import allowed_actions
from gongzhi.matters.selectors import (
    STATUS_GROUPS,
    actor_label,
    event_detail,
    event_label,
    late_q,
    matter_list,
    moved_to,
)
from gongzhi.people.models import Resident
from gongzhi.people.rules import residents_visible
from gongzhi.people.selectors import resident_list
from gongzhi.pickers.selectors import PickError, resolve
from gongzhi.places.models import Building, Community, Compound, Household
from gongzhi.places.rules import households_visible, places_visible

# ---- fetching -------------------------------------------------------------------------------


def matter_get(user, pk: int) -> Matter:
    """The matter, if the user may see it (404 otherwise)."""
    qs = Matter.objects.with_place().select_related("merged_into")
    return get_object_or_404(rules.matters_visible(user, qs), pk=pk)


def is_resident(user) -> bool:
    return rules.role(user) == UserRole.RESIDENT


def _with_photo_limit(view: Callable) -> Callable:
    """Stop reading an oversized photo before Django stores it in memory or on disk.

    Upload handlers can only change before the body is read, and the CSRF middleware reads it
    first, so the check moves inside the view (Django's documented pattern).
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        limit = PhotoSizeLimit(request)
        request.upload_handlers.insert(0, limit)
        request.photo_limit = limit
        return protected(request, *args, **kwargs)

    return wrapper


def _photo_refused(request) -> bool:
    limit = getattr(request, "photo_limit", None)
    return limit is not None and "photo" in limit.refused


# ---- the workbench --------------------------------------------------------------------------


def _status_param(request: HttpRequest) -> str:
    value = request.GET.get("status", "").strip()
    if value and value not in STATUS_GROUPS and value not in Status.values:
        raise BadFilter(
            _("Unknown value %(value)s for %(name)s") % {"value": value, "name": "status"}
        )
    return value


def workbench_rows(request: HttpRequest) -> QuerySet[Matter]:
    """The workbench's matters with what each row shows: reporters, lateness, active owners."""
    now = timezone.now()
    active_owners = MatterOwner.objects.filter(active=True).select_related(
        "partner", "team", "organisation"
    )
    return (
        matter_list(
            request.user,
            place=place_param(request),
            status=_status_param(request),
            tier=choice_param(request, "tier", Tier),
            category=choice_param(request, "category", Category),
            channel=choice_param(request, "channel", Channel),
            overdue=True if request.GET.get("overdue") == "1" else None,
            search=text_param(request, "q"),
            now=now,
        )
        .annotate(
            reporter_count=Count("reporters"),
            is_late=Case(When(late_q(now), then=Value(True)), default=Value(False)),
        )
        .prefetch_related(Prefetch("owners", queryset=active_owners, to_attr="active_owners"))
    )


@login_required
def matter_list_view(request: HttpRequest) -> HttpResponse:
    if is_resident(request.user):
        return redirect("matters:mine")
    return render_list(
        request,
        rows=lambda: workbench_rows(request),
        template="matters/matter_list.html",
        partial="matters/_matter_rows.html",
        export=matters_export,
        filename="事项清单.xlsx",
        context={
            "statuses": Status.choices,
            "tiers": Tier.choices,
            "categories": Category.choices,
            "channels": Channel.choices,
            "working_statuses": WORKING_STATUSES,
        },
    )


# ---- intake ---------------------------------------------------------------------------------


def _intake_form(request: HttpRequest, data=None, files=None) -> IntakeForm:
    user = request.user
    return IntakeForm(
        data,
        files,
        refused_photo=_photo_refused(request),
        communities=places_visible(user, Community.objects.all()),
        compounds=places_visible(user, Compound.objects.select_related("community")),
        buildings=places_visible(user, Building.objects.select_related("compound")),
        households=households_visible(user, Household.objects.with_place()),
        residents=residents_visible(user, Resident.objects.with_place()),
        on_spot=rules.can_handle_on_spot(user),
        initial={"channel": Channel.GRID_VISIT},
    )


def _intake_context(request: HttpRequest, form: IntakeForm) -> dict:
    """The place pickers' options: compounds of the chosen community, and so on down."""
    value = form.data.get if form.is_bound else (lambda _key, default="": default)
    communities = list(form.fields["community"].queryset)
    community_id = value("community", "") or (
        str(communities[0].pk) if len(communities) == 1 else ""
    )
    compound_id, building_id = value("compound", ""), value("building", "")
    reporter_id = value("reporter", "")
    return {
        "form": form,
        "communities": communities,
        "community_id": community_id,
        "compounds": _children("compounds", request.user, community_id),
        "compound_id": compound_id,
        "buildings": _children("buildings", request.user, compound_id),
        "building_id": building_id,
        "households": _children("households", request.user, building_id),
        "household_id": value("household", ""),
        "reporter": form.fields["reporter"].queryset.filter(pk=reporter_id).first()
        if reporter_id.isdigit()
        else None,
    }


def _classification_sent(request: HttpRequest) -> dict:
    """Category and tier as posted, though no form offers them: the service decides per role
    who may set them (``rules.fields_not_allowed``), the same as for the API."""
    return {name: request.POST.get(name) or None for name in ("category", "tier")}


@login_required
@_with_photo_limit
def matter_new(request: HttpRequest) -> HttpResponse:
    """Staff, grid workers and partners take in a matter for a resident or anonymously."""
    if is_resident(request.user):
        return redirect("matters:report")
    if not rules.can_submit(request.user):
        raise Http404
    if request.method != "POST":
        return render(
            request, "matters/matter_new.html", _intake_context(request, _intake_form(request))
        )
    form = _intake_form(request, request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                matter = services.matter_submit(
                    actor=request.user,
                    text=data["text"],
                    channel=data["channel"],
                    place=services.resolve_place(**form.place_kwargs()),
                    reporter=data["reporter"],
                    reporter_name=data["reporter_name"],
                    reporter_contact=data["reporter_contact"],
                    priority=data["priority"],
                    **_classification_sent(request),
                    handled_on_spot=data.get("handled_on_spot", False),
                    resolution_note=data.get("resolution_note", ""),
                )
                if data["photo"]:
                    services.matter_add_photo(
                        actor=request.user, matter=matter, upload=data["photo"]
                    )
        except MatterError as error:
            form.add_error(None, error.message)
        else:
            if data.get("handled_on_spot"):
                done = _("Matter #%(id)d was recorded as handled on the spot.")
            else:
                done = _("Matter #%(id)d was taken in.")
            messages.success(request, done % {"id": matter.pk})
            return redirect("matters:detail", pk=matter.pk)
    return render(request, "matters/matter_new.html", _intake_context(request, form), status=400)


@login_required
@require_POST
def suggest_view(request: HttpRequest) -> HttpResponse:
    """The classifier's suggestion for the text typed so far (an htmx fragment)."""
    text = request.POST.get("text", "").strip()[: Matter._meta.get_field("text").max_length]
    suggestion = services.suggest(text) if text else None
    context = {"suggestion": suggestion}
    if suggestion is not None:
        context.update(
            category=Category(suggestion.category).label,
            tier=Tier(suggestion.tier).label,
            percent=round(suggestion.confidence * 100),
        )
    return render(request, "matters/_suggestion.html", context)


_CHILDREN = {
    "compounds": ("community", lambda user: places_visible(user, Compound.objects.all())),
    "buildings": ("compound", lambda user: places_visible(user, Building.objects.all())),
    "households": (
        "unit__building",
        lambda user: households_visible(user, Household.objects.with_place()),
    ),
}


def _children(level: str, user, parent_id: str) -> list:
    """The places one level below ``parent_id`` that the user may see ([] without a parent)."""
    if not str(parent_id).isdigit():
        return []
    parent, visible = _CHILDREN[level]
    return list(visible(user).filter(**{parent: int(parent_id)}))


@login_required
@require_GET
def place_options(request: HttpRequest, level: str) -> HttpResponse:
    """``<option>``s of the next place picker, for htmx (compound → building → household)."""
    if level not in _CHILDREN:
        raise Http404
    parent = _CHILDREN[level][0].rpartition("__")[2]
    options = _children(level, request.user, request.GET.get(parent, ""))
    return render(request, "matters/_place_options.html", {"options": options})


@login_required
@require_GET
def reporter_options(request: HttpRequest) -> HttpResponse:
    """Residents within the user's registry reach whose name contains the search."""
    query = text_param(request, "reporter_q")
    found = resident_list(request.user, search=query)[:20] if query else []
    return render(request, "matters/_reporter_options.html", {"residents": found})


# ---- the matter page ------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerChoice:
    value: str
    label: str
    reasons: str = ""


def _owner_value(owner) -> str:
    return f"{owner._meta.model_name}:{owner.pk}"


def _candidate_choices(matter: Matter) -> list[OwnerChoice]:
    """The owners the responsibility rules propose, best first: one-click choices beside the
    picker."""
    return [
        OwnerChoice(_owner_value(c.owner), str(c.owner), " · ".join(c.reasons))
        for c in candidates(matter, limit=8)
    ]


def _duplicates(user, matter: Matter) -> list[tuple[Matter, float]]:
    """Open matters that look like this one, among those the user may manage."""
    place = {
        "community": matter.community,
        "compound": matter.compound,
        "building": matter.building,
        "household": matter.household,
    }
    found = similar_open_matters(text=matter.text, place=place, exclude_id=matter.pk, limit=5)
    visible = set(
        rules.matters_visible(
            user, Matter.objects.filter(pk__in=[m.pk for m, _s in found])
        ).values_list("pk", flat=True)
    )
    return [(m, score) for m, score in found if m.pk in visible]


def _events(matter: Matter):
    return matter.events.select_related("actor__profile")


@login_required
def matter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    matter = matter_get(user, pk)
    allowed = allowed_actions(user, matter)
    reporters = list(matter.reporters.select_related("resident"))
    context = {
        "matter": matter,
        "allowed": allowed,
        "resident_view": is_resident(user),
        # Reporters' names and contacts are personal data: only for registry staff.
        "show_reporters": is_staff_like(user),
        "reporters": reporters,
        "others": len(reporters) - 1,
        "owners": matter.owners.filter(active=True).select_related(
            "partner", "team", "organisation", "user__profile"
        ),
        "photos": matter.photos.all(),
        "events": [
            (
                event,
                event_label(event),
                actor_label(user, event),
                moved_to(event),
                event_detail(event),
            )
            for event in _events(matter)
        ],
        "feedback_form": FeedbackForm() if allowed.feedback else None,
    }
    if allowed.classify:
        context["classify_form"] = ClassifyForm(
            initial={"category": matter.category, "tier": matter.tier}
        )
        context["suggestion"] = {
            "category": Category(matter.suggested_category).label
            if matter.suggested_category
            else "",
            "tier": Tier(matter.suggested_tier).label if matter.suggested_tier else "",
            "percent": round((matter.suggestion_confidence or 0) * 100),
            "accepted": matter.classification_confirmed
            and (matter.category, matter.tier)
            == (matter.suggested_category, matter.suggested_tier),
        }
    if allowed.assign:
        context["candidates"] = _candidate_choices(matter)
        context["assign_form"] = AssignForm()
    if allowed.merge:
        context["duplicates"] = _duplicates(user, matter)
    return render(request, "matters/matter_detail.html", context)


# ---- actions --------------------------------------------------------------------------------


def _valid(form) -> dict:
    if not form.is_valid():
        problems = [str(message) for messages_ in form.errors.values() for message in messages_]
        raise MatterError("invalid_input", " ".join(problems))
    return form.cleaned_data


OWNER_KINDS = "partner,team,organisation,user"


def _owners_from(user, values: list[str]) -> list:
    """The owners chosen in the picker (or a candidate's one-click button), within reach; the
    service then checks that each serves the matter's community."""
    if not values:
        raise MatterError("invalid_owner", _("Choose at least one owner."))
    try:
        return resolve(user, values, OWNER_KINDS)
    except PickError as error:
        raise MatterError("invalid_owner", error.message) from None


def _act_acknowledge(request, matter):
    note = _valid(NoteForm(request.POST))["note"]
    services.matter_acknowledge(actor=request.user, matter=matter, note=note)
    return _("Acknowledged.")


def _act_classify(request, matter):
    data = _valid(ClassifyForm(request.POST))
    services.matter_classify(
        actor=request.user, matter=matter, category=data["category"], tier=data["tier"]
    )
    return _("Classification saved.")


def _act_assign(request, matter):
    data = _valid(AssignForm(request.POST))
    owners = _owners_from(request.user, request.POST.getlist("owners"))
    services.matter_assign(
        actor=request.user,
        matter=matter,
        owners=owners,
        working_mode=data["working_mode"],
        note=data["note"],
    )
    return _("Assigned to %(owner)s.") % {"owner": "、".join(owner_label(o) for o in owners)}


def _act_deliberate(request, matter):
    note = _valid(NoteForm(request.POST))["note"]
    services.matter_deliberate(actor=request.user, matter=matter, note=note)
    return _("Sent to deliberation.")


def _act_start(request, matter):
    note = _valid(NoteForm(request.POST))["note"]
    services.matter_start(actor=request.user, matter=matter, note=note)
    return _("Work started.")


def _act_complete(request, matter):
    note = _valid(NoteForm(request.POST))["note"]
    services.matter_complete(actor=request.user, matter=matter, note=note)
    return _("Completed; the resident is asked for feedback.")


def _act_handle(request, matter):
    note = _valid(NoteForm(request.POST))["note"]
    services.matter_handle(actor=request.user, matter=matter, note=note)
    return _("Handled; the resident is asked for feedback.")


def _act_merge(request, matter):
    into_pk = _valid(MergeForm(request.POST))["into"]
    into = rules.matters_visible(request.user, Matter.objects.filter(pk=into_pk)).first()
    if into is None:
        raise MatterError("invalid_target", _("Merge into another open matter."))
    services.matter_merge(actor=request.user, matter=matter, into=into)
    return _("Merged into #%(id)d.") % {"id": into.pk}


def _act_refer(request, matter):
    data = _valid(ReferForm(request.POST))
    services.matter_refer(actor=request.user, matter=matter, to=data["to"], reason=data["reason"])
    return _("Referred.")


def _act_reject(request, matter):
    reason = _valid(ReasonForm(request.POST))["reason"]
    services.matter_reject(actor=request.user, matter=matter, reason=reason)
    return _("Rejected.")


def _act_withdraw(request, matter):
    reason = _valid(WithdrawForm(request.POST))["reason"]
    services.matter_withdraw(actor=request.user, matter=matter, reason=reason)
    return _("Withdrawn.")


def _act_close_unrated(request, matter):
    services.matter_close_unrated(actor=request.user, matter=matter)
    return _("Closed without feedback.")


def _act_feedback(request, matter):
    data = _valid(FeedbackForm(request.POST))
    services.matter_feedback(
        actor=request.user,
        matter=matter,
        satisfaction=data["satisfaction"],
        comment=data["comment"],
    )
    return _("Thank you for your feedback.")


def _act_photo(request, matter):
    upload = request.FILES.get("photo")
    if _photo_refused(request):
        raise MatterError("invalid_photo", photo_too_big_message())
    if upload is None:
        raise MatterError("invalid_photo", _("Choose a photo."))
    services.matter_add_photo(actor=request.user, matter=matter, upload=upload)
    return _("Photo added.")


ACTIONS: dict[str, Callable[[HttpRequest, Matter], str]] = {
    "acknowledge": _act_acknowledge,
    "classify": _act_classify,
    "assign": _act_assign,
    "deliberate": _act_deliberate,
    "start": _act_start,
    "complete": _act_complete,
    "handle": _act_handle,
    "merge": _act_merge,
    "refer": _act_refer,
    "reject": _act_reject,
    "withdraw": _act_withdraw,
    "close_unrated": _act_close_unrated,
    "feedback": _act_feedback,
    "photo": _act_photo,
}


@login_required
@_with_photo_limit
@require_POST
def matter_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action on the matter: exactly one service call; a refusal changes nothing."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    matter = matter_get(request.user, pk)
    try:
        message = handler(request, matter)
    except MatterError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect("matters:detail", pk=matter.pk)


@login_required
@require_GET
def photo_view(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    """A matter's photo, only for those who may see the matter (never a public media URL)."""
    matter = matter_get(request.user, pk)
    return private_file(get_object_or_404(matter.photos, pk=photo_pk).image)


# ---- residents ------------------------------------------------------------------------------


@login_required
def my_matters(request: HttpRequest) -> HttpResponse:
    """The matters the user reported (a resident's phone page)."""
    qs = rules.matters_visible(request.user, Matter.objects.with_place()).order_by(
        "-created_at", "-id"
    )
    if not is_resident(request.user):
        qs = qs.filter(entered_by=request.user)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "matters/mine.html", {"page": page, "rows": page.object_list})


def _resident_places(user) -> tuple[dict[str, dict], list]:
    """Where a resident may report: any building or public spot (compound) of their community.

    Returns the place of each choice value, and the choices for a grouped select: their own
    building, compound and community first, then each compound's common areas and buildings
    (compounds and buildings in natural order: 2栋 before 10栋). A community has about a
    hundred buildings, so one grouped select stays short enough to scroll on a phone.
    """
    own = Building.objects.select_related("compound__community").get(
        units__households__residents=user.profile.resident_id
    )
    community = own.compound.community
    compounds = natural_sorted(community.compounds.all(), lambda c: c.name)
    buildings: dict[int, list[Building]] = {c.pk: [] for c in compounds}
    for building in Building.objects.filter(compound__community=community):
        buildings[building.compound_id].append(building)
    places: dict[str, dict] = {}

    def choice(place: Place, label: str, kwargs: dict) -> tuple[str, str]:
        places[str(place)] = kwargs
        return str(place), label

    groups = [
        (
            _("Where I live"),
            [
                choice(
                    Place("building", own.pk),
                    _("My building: %(place)s") % {"place": own},
                    {"building": own},
                ),
                choice(
                    Place("compound", own.compound_id),
                    _("My compound (common areas): %(place)s") % {"place": own.compound.name},
                    {"compound": own.compound},
                ),
                choice(
                    Place("community", community.pk),
                    _("The whole community: %(place)s") % {"place": community.name},
                    {"community": community},
                ),
            ],
        )
    ]
    for compound in compounds:
        options = [
            choice(
                Place("compound", compound.pk),
                _("%(compound)s: common areas") % {"compound": compound.name},
                {"compound": compound},
            )
        ]
        for building in sorted(buildings[compound.pk], key=Building.sort_key):
            building.compound = compound
            options.append(
                choice(Place("building", building.pk), str(building), {"building": building})
            )
        groups.append((compound.name, options))
    return places, groups


@login_required
@_with_photo_limit
def matter_report(request: HttpRequest) -> HttpResponse:
    """A resident reports a matter from their phone: text, place, optional photo."""
    if not is_resident(request.user):
        return redirect("matters:new")
    places, choices = _resident_places(request.user)
    if request.method != "POST":
        form = ReportForm(places=choices, initial={"where": choices[0][1][0][0]})
        return render(request, "matters/report.html", {"form": form})
    form = ReportForm(
        request.POST, request.FILES, places=choices, refused_photo=_photo_refused(request)
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                matter = services.matter_submit(
                    actor=request.user,
                    text=data["text"],
                    channel=request.POST.get("channel") or Channel.ONLINE_WEB,
                    place=services.resolve_place(**places[data["where"]]),
                    priority=request.POST.get("priority") or Priority.NORMAL,
                    **_classification_sent(request),
                )
                if data["photo"]:
                    services.matter_add_photo(
                        actor=request.user, matter=matter, upload=data["photo"]
                    )
        except MatterError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Thank you. We have received your matter."))
            return redirect("matters:detail", pk=matter.pk)
    return render(request, "matters/report.html", {"form": form}, status=400)

"""Meetings pages: the calendar, series (with .ics), a meeting and how it is run, minutes (print
page and .docx), and the 公示 page of published decisions.

Reads go through ``selectors`` and ``rules``; every POST calls services and shows a refused
action's message without changing anything (several votes in one form are all-or-nothing).
"""

import calendar as calendar_module
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gongzhi.core.services import ServiceError
from gongzhi.meetings import ics, minutes, rules, selectors, services
from gongzhi.meetings.models import (
    ActionItem,
    AgendaItem,
    Decision,
    HolidayPolicy,
    ItemStatus,
    Majority,
    Meeting,
    MeetingStatus,
    OutsiderRole,
    Participant,
    Reply,
    Rule,
    Venue,
    VoteChoice,
)
from gongzhi.meetings.services import ActionSpec, MeetingError
from gongzhi.pickers.selectors import PickError, resolve, user_label
from gongzhi.places.models import Building, Community, Compound

WEEKDAYS = [
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
]


ROLL_PAGE = 100


def meeting_get(user, pk: int) -> Meeting:
    """The meeting, if the user may see it (404 otherwise)."""
    qs = Meeting.objects.with_place().select_related("convenor__profile", "recorder__profile")
    return get_object_or_404(rules.visible(user, qs), pk=pk)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# ---- calendar and series ----------------------------------------------------------------------


@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        month = dt.date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        month = today.replace(day=1)
    weeks = calendar_module.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    rows = selectors.meeting_list(
        request.user,
        since=_day_start(weeks[0][0]),
        until=_day_start(weeks[-1][-1] + dt.timedelta(days=1)),
    )
    by_day: dict[dt.date, list[Meeting]] = {}
    for meeting in rows:
        by_day.setdefault(timezone.localdate(meeting.starts_at), []).append(meeting)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    context = {
        "month": month,
        "weekday_names": WEEKDAYS,
        "weeks": [[(day, by_day.get(day, [])) for day in week] for week in weeks],
        "today": today,
        "previous": f"{previous:%Y-%m}",
        "following": f"{following:%Y-%m}",
        "can_manage": rules.is_manager(request.user),
        "queue": selectors.item_list(request.user, queue=True)
        if rules.is_manager(request.user)
        else [],
    }
    return render(request, "meetings/calendar.html", context)


def _scope_choices(user):
    communities = rules.visible(user, Community.objects.all())
    compounds = rules.visible(user, Compound.objects.select_related("community"))
    buildings = rules.visible(user, Building.objects.select_related("compound"))
    choices = [(f"community:{c.pk}", c.name) for c in communities]
    choices += [(f"compound:{c.pk}", c.name) for c in compounds]
    choices += [(f"building:{b.pk}", f"{b.compound.name} {b.name}") for b in buildings]
    return [(value, label) for value, label in choices]


def _scope_param(value: str):
    models = {"community": Community, "compound": Compound, "building": Building}
    level, _sep, raw = value.partition(":")
    if level not in models or not raw.isdigit():
        raise MeetingError("bad_scope", _("Choose the community, compound or building."))
    place = models[level].objects.filter(pk=int(raw)).first()
    if place is None:
        raise MeetingError("bad_scope", _("Choose the community, compound or building."))
    return place


def _int(value, name: str, *, required=True) -> int | None:
    if value in (None, "") and not required:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MeetingError("bad_input", _("%(name)s must be a number.") % {"name": name}) from None


def _date(value, name: str, *, required=True) -> dt.date | None:
    if not value and not required:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise MeetingError("bad_input", _("%(name)s must be a date.") % {"name": name}) from None


def _venue(user, value) -> Venue | None:
    if not value:
        return None
    venue = selectors.venue_list(user).filter(pk=_int(value, _("Venue"))).first()
    if venue is None:
        raise MeetingError("bad_venue", _("Choose one of the venues."))
    return venue


@login_required
def series_list_view(request: HttpRequest) -> HttpResponse:
    manager = rules.is_manager(request.user)
    status = 200
    if request.method == "POST":
        if not manager:
            raise Http404
        post = request.POST
        try:
            if post.get("form") == "venue":
                place = _scope_param(post.get("scope", ""))
                services.venue_create(
                    actor=request.user,
                    community=services.Scope.of(place).community,
                    compound=services.Scope.of(place).compound,
                    name=post.get("name", ""),
                    address=post.get("address", ""),
                )
                messages.success(request, _("Venue added."))
            else:
                try:
                    start_time = dt.time.fromisoformat(post.get("start_time", ""))
                except ValueError:
                    raise MeetingError("bad_input", _("Give the start time.")) from None
                series = services.series_create(
                    actor=request.user,
                    name=post.get("name", ""),
                    venue=_venue(request.user, post.get("venue")) or _missing_venue(),
                    place=_scope_param(post.get("scope", "")),
                    rule=post.get("rule", ""),
                    weekday=_int(post.get("weekday"), _("Weekday"), required=False),
                    day_of_month=_int(post.get("day_of_month"), _("Day"), required=False),
                    holiday_policy=post.get("holiday_policy", ""),
                    starts_on=_date(post.get("starts_on"), _("First day")),
                    start_time=start_time,
                    duration_minutes=_int(post.get("duration_minutes") or 90, _("Minutes")),
                )
                messages.success(
                    request,
                    _("Series created with %(n)d meetings planned.")
                    % {"n": series.meetings.count()},
                )
            return redirect("meetings:series")
        except ServiceError as error:
            messages.error(request, error.message)
            status = 400
    context = {
        "series": selectors.series_list(request.user),
        "venues": selectors.venue_list(request.user),
        "can_manage": manager,
        "scopes": _scope_choices(request.user) if manager else [],
        "rules": Rule.choices,
        "policies": HolidayPolicy.choices,
        "weekdays": list(enumerate(WEEKDAYS)),
        "form": request.POST if request.method == "POST" else {},
    }
    return render(
        request,
        "meetings/series_list.html",
        context,
        status=status,
    )


def _missing_venue():
    raise MeetingError("bad_venue", _("Choose one of the venues."))


@login_required
def series_ics(request: HttpRequest, pk: int) -> HttpResponse:
    series = get_object_or_404(selectors.series_list(request.user), pk=pk)
    meetings = series.meetings.select_related("venue").order_by("starts_at")
    text = ics.calendar_text(name=series.name, meetings=meetings, host=request.get_host())
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="series-{series.pk}.ics"'
    return response


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    if not rules.is_manager(request.user):
        raise Http404
    if request.method == "POST":
        post = request.POST
        try:
            try:
                starts_at = dt.datetime.fromisoformat(post.get("starts_at", ""))
            except ValueError:
                raise MeetingError("bad_input", _("Give the day and time.")) from None
            meeting = services.meeting_create(
                actor=request.user,
                title=post.get("title", ""),
                place=_scope_param(post.get("scope", "")),
                starts_at=timezone.make_aware(starts_at)
                if timezone.is_naive(starts_at)
                else starts_at,
                minutes=_int(post.get("minutes") or 90, _("Minutes")),
                venue=_venue(request.user, post.get("venue")),
                majority=post.get("majority") or Majority.SIMPLE,
            )
            return redirect("meetings:detail", meeting.pk)
        except ServiceError as error:
            messages.error(request, error.message)
    context = {
        "scopes": _scope_choices(request.user),
        "venues": selectors.venue_list(request.user),
        "majorities": Majority.choices,
        "form": request.POST,
    }
    return render(request, "meetings/meeting_new.html", context)


# ---- a meeting ----------------------------------------------------------------------------------


def _decision_of(item: AgendaItem) -> Decision | None:
    decisions = list(item.decisions.all())
    corrected = {d.corrects_id for d in decisions if d.corrects_id}
    current = [d for d in decisions if d.pk not in corrected]
    return current[-1] if current else None


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_get(request.user, pk)
    manage = rules.can_manage(request.user, meeting)
    participants = list(meeting.participants.all())
    items = list(
        meeting.items.prefetch_related(
            "votes",
            "decisions__actions__partner",
            "decisions__actions__team",
            "decisions__actions__organisation",
        )
    )
    voters_present = [p for p in participants if p.is_voter and p.attended]
    for item in items:
        item.decision = _decision_of(item)
        item.all_actions = [a for d in item.decisions.all() for a in d.actions.all()]
        voted = {v.participant_id: v for v in item.votes.all()}
        item.ballot = [(p, voted.get(p.pk)) for p in voters_present]
    mine = [p for p in participants if rules.is_participant_self(request.user, p)]
    voters_total = sum(1 for p in participants if p.is_voter)
    # People are chosen with the type-ahead picker (gongzhi.pickers): the page carries no
    # list of the community's partners or residents, however many there are. The roll shows
    # ROLL_PAGE people a page (a whole team may be 100 or more), so its ticks never become a
    # wall; 全部到会 covers every page.
    context = {
        "meeting": meeting,
        "manage": manage,
        "participants": participants,
        "roll": Paginator(participants, ROLL_PAGE).get_page(request.GET.get("people")),
        "present_count": sum(1 for p in participants if p.attended),
        "convenor": user_label(meeting.convenor) if meeting.convenor_id else "",
        "recorder": user_label(meeting.recorder) if meeting.recorder_id else "",
        "items": items,
        "mine": mine,
        "voters_present": voters_present,
        "voters_total": voters_total,
        "quorum": services.quorum_needed(meeting, voters_total),
        "open": meeting.status in (MeetingStatus.PLANNED, MeetingStatus.IN_SESSION),
        "in_session": meeting.status == MeetingStatus.IN_SESSION,
        "can_propose": manage or rules.can_propose(request.user, meeting),
        "choices": VoteChoice.choices,
        "replies": [(Reply.ACCEPTED, Reply.ACCEPTED.label), (Reply.DECLINED, Reply.DECLINED.label)],
        "outsider_roles": OutsiderRole.choices,
        "scheduled": ItemStatus.SCHEDULED,
        "proposed": ItemStatus.PROPOSED,
        "invitee_kinds": ",".join(services.INVITEE_KINDS),
        "owner_kinds": ",".join(selectors.OWNER_KINDS),
    }
    return render(request, "meetings/meeting_detail.html", context)


def _picked(user, values: list[str], kinds) -> list:
    """The people or bodies chosen in a picker, within the user's reach (``MeetingError`` with
    the picker's Chinese message for anything unknown or out of reach)."""
    values = [v for v in values if v]
    try:
        return resolve(user, values, list(kinds)) if values else []
    except PickError as error:
        raise MeetingError("bad_participant", str(error)) from None


def _action_owner(user, value: str) -> dict:
    try:
        return selectors.action_owner(user, value)
    except PickError as error:
        raise MeetingError("bad_owner", error.message) from None


def _item(meeting: Meeting, post) -> AgendaItem:
    return get_object_or_404(AgendaItem, pk=_int(post.get("item"), "item"), meeting=meeting)


def _participant(meeting: Meeting, value) -> Participant:
    return get_object_or_404(Participant, pk=_int(value, "participant"), meeting=meeting)


def _act_invite(request, meeting):
    post = request.POST
    voter = post.get("is_voter") == "on"
    people = _picked(request.user, post.getlist("invitees"), services.INVITEE_KINDS)
    if people:
        invited = services.meeting_invite_many(
            actor=request.user, meeting=meeting, people=people, is_voter=voter
        )
        message = _("Invited %(n)d.") % {"n": len(invited.created)}
        if invited.skipped:
            message += " " + _("Already invited: %(names)s.") % {
                "names": "、".join(p.name for p in invited.skipped[:10])
            }
        return message
    if post.get("name", "").strip():
        services.participant_invite(
            actor=request.user,
            meeting=meeting,
            is_voter=voter,
            name=post.get("name", ""),
            outsider_role=post.get("outsider_role", ""),
        )
        return _("Invited.")
    raise MeetingError("bad_participant", _("Choose whom to invite."))


def _act_attend(request, meeting):
    ids = list(meeting.participants.values_list("pk", flat=True))
    if request.POST.get("go") == "all":
        n = services.meeting_attendance(actor=request.user, meeting=meeting, present=ids)
        return _("Attendance saved: %(n)d present.") % {"n": n}
    # The ticks of one page of the roll (``people``): the other pages stay as they were.
    among = list(Paginator(ids, ROLL_PAGE).get_page(request.POST.get("people")))
    present = [_int(v, "participant") for v in request.POST.getlist("present")]
    services.meeting_attendance(actor=request.user, meeting=meeting, present=present, among=among)
    n = meeting.participants.filter(attended=True).count()
    return _("Attendance saved: %(n)d present.") % {"n": n}


def _act_roles(request, meeting):
    roles = {}
    for role in ("convenor", "recorder"):
        picked = _picked(request.user, request.POST.getlist(role), ["user"])
        if picked:
            roles[role] = picked[0]
    if not roles:
        raise MeetingError("bad_participant", _("Choose the convenor or the recorder."))
    services.meeting_set_roles(actor=request.user, meeting=meeting, **roles)
    return _("Saved.")


def _act_reply(request, meeting):
    participant = _participant(meeting, request.POST.get("participant"))
    services.participant_reply(
        actor=request.user, participant=participant, reply=request.POST.get("reply", "")
    )
    return _("Reply sent.")


def _act_propose(request, meeting):
    services.agenda_propose(
        actor=request.user,
        meeting=meeting,
        title=request.POST.get("title", ""),
        description=request.POST.get("description", ""),
        minutes=_int(request.POST.get("minutes") or 15, _("Minutes")),
    )
    return _("Item added.")


def _act_accept(request, meeting):
    services.agenda_accept(actor=request.user, item=_item(meeting, request.POST))
    return _("Put on the agenda.")


def _act_move(request, meeting):
    services.agenda_move(
        actor=request.user, item=_item(meeting, request.POST), by=_int(request.POST.get("by"), "by")
    )
    return _("Agenda reordered.")


def _act_notes(request, meeting):
    services.agenda_update(
        actor=request.user,
        item=_item(meeting, request.POST),
        notes=request.POST.get("notes", ""),
        options=request.POST.get("options", ""),
        minutes=_int(request.POST.get("minutes") or 15, _("Minutes")),
    )
    return _("Notes saved.")


def _act_vote(request, meeting):
    item = _item(meeting, request.POST)
    count = 0
    for participant in meeting.participants.all():
        choice = request.POST.get(f"vote_{participant.pk}", "")
        if choice:
            services.vote_cast(
                actor=request.user, item=item, participant=participant, choice=choice
            )
            count += 1
    if not count:
        raise MeetingError("no_votes", _("Record at least one vote."))
    return _("Votes recorded.")


def _act_decide(request, meeting):
    post = request.POST
    actions = []
    for n in range(1, 4):
        title = post.get(f"action_title_{n}", "").strip()
        if not title:
            continue
        actions.append(
            ActionSpec(
                title=title,
                due_on=_date(post.get(f"action_due_{n}"), _("Deadline"), required=False),
                **_action_owner(request.user, post.get(f"action_owner_{n}", "")),
            )
        )
    services.decision_record(
        actor=request.user,
        item=_item(meeting, post),
        method=post.get("method", ""),
        text=post.get("text", ""),
        actions=actions,
    )
    return _("Decision recorded.")


def _act_correct(request, meeting):
    decision = get_object_or_404(
        Decision, pk=_int(request.POST.get("decision"), "decision"), item__meeting=meeting
    )
    services.decision_correct(
        actor=request.user,
        decision=decision,
        text=request.POST.get("text", ""),
        reason=request.POST.get("reason", ""),
    )
    return _("Correction recorded.")


def _act_done(request, meeting):
    action = get_object_or_404(
        ActionItem, pk=_int(request.POST.get("action"), "action"), decision__item__meeting=meeting
    )
    services.action_item_complete(
        actor=request.user, action=action, note=request.POST.get("note", "")
    )
    return _("Action item done.")


def _act_open(request, meeting):
    services.meeting_open(actor=request.user, meeting=meeting)
    return _("The meeting is open.")


def _act_close(request, meeting):
    services.meeting_close(actor=request.user, meeting=meeting)
    return _("The meeting is closed; its decisions are published.")


def _act_cancel(request, meeting):
    services.meeting_cancel(actor=request.user, meeting=meeting)
    return _("The meeting is cancelled.")


ACTIONS = {
    "invite": _act_invite,
    "attend": _act_attend,
    "roles": _act_roles,
    "reply": _act_reply,
    "propose": _act_propose,
    "accept": _act_accept,
    "move": _act_move,
    "notes": _act_notes,
    "vote": _act_vote,
    "decide": _act_decide,
    "correct": _act_correct,
    "done": _act_done,
    "open": _act_open,
    "close": _act_close,
    "cancel": _act_cancel,
}


@login_required
@require_POST
def meeting_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    meeting = meeting_get(request.user, pk)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    try:
        with transaction.atomic():
            messages.success(request, handler(request, meeting))
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect(reverse("meetings:detail", args=[meeting.pk]) + "#" + action)


# ---- minutes and the 公示 page ------------------------------------------------------------------


@login_required
def minutes_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_get(request.user, pk)
    return render(
        request,
        "meetings/minutes.html",
        {"meeting": meeting, "minutes": minutes.minutes_for(meeting)},
    )


@login_required
def minutes_docx_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_get(request.user, pk)
    content = minutes.minutes_docx(minutes.minutes_for(meeting))
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="minutes-{meeting.pk}.docx"'
    return response


@login_required
def decisions_public(request: HttpRequest) -> HttpResponse:
    decisions = selectors.decision_list(request.user, published=True).order_by("-decided_at")[:100]
    return render(request, "meetings/decisions.html", {"decisions": decisions})

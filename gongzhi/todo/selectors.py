"""The to-do list (待办): what waits for the user now, across every app.

``todo_for(user)`` answers each role's first question of the day, "what do I do now" (see
``docs/todo.md``); the home page, the /todo/ page, ``GET /api/v1/me/todo`` and the navigation
badge all read it. It writes nothing and adds no visibility rule of its own: every part starts
from the scope helpers of the app that owns the rows (``matters.rules.matters_visible``,
``meetings.rules.visible``, ``volunteering.rules.records_visible`` …).

A *part* answers one or more kinds with at most two queries — one counts everything, one reads
the most urgent rows (at most ``LIMIT``) — so the number of queries depends on the role, never
on the amount of data. Items are ordered by urgency: overdue first, then by due time (soonest
first, none last), then newest. ``counts`` are full counts of the items of each kind before
the cap; kinds that group rows (claims and records per activity, orders per shop item,
communities) count groups, and the item's title says how many rows it holds.
"""

import datetime as dt
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from gongzhi.accounts import rules as account_rules
from gongzhi.accounts.models import SignUp, SignUpStatus, UserRole
from gongzhi.accounts.scope import profile_of
from gongzhi.honours import rules as honours_rules
from gongzhi.honours.models import Election, ElectionStatus, Participation, ResidentVerification
from gongzhi.hotline import rules as hotline_rules
from gongzhi.hotline.models import OPEN_STATUSES as HOTLINE_OPEN
from gongzhi.hotline.models import HotlineOrder, OrderStatus
from gongzhi.matters import rules as matter_rules
from gongzhi.matters.models import WORKING_STATUSES, Matter, MatterEvent, MatterOwner, Status, Tier
from gongzhi.matters.rates import rate_counts, rate_settings, rates_from_counts
from gongzhi.matters.selectors import day_start, late_q
from gongzhi.mediation import rules as mediation_rules
from gongzhi.mediation.models import CaseStatus, FollowUp, MediationCase
from gongzhi.meetings import rules as meeting_rules
from gongzhi.meetings.models import Meeting, MeetingStatus, Participant, Reply
from gongzhi.people.models import Resident
from gongzhi.points import selectors as points_selectors
from gongzhi.points.models import RedemptionStatus
from gongzhi.projects.models import PreVote, Stage
from gongzhi.projects.rules import projects_visible
from gongzhi.visits import rules as visit_rules
from gongzhi.visits import selectors as visit_selectors
from gongzhi.visits.models import CareSubject
from gongzhi.volunteering import rules as volunteering_rules
from gongzhi.volunteering import selectors as volunteering_selectors
from gongzhi.volunteering.models import ClaimStatus, RecordStatus, ServiceRecord

LIMIT = 50
INVITE_DAYS = 14
MEETING_DAYS = 7
RATES_DAYS = 90
LOW_RATES = 3
TEXT_CHARS = 40

KINDS = {
    "matter_overdue": pgettext_lazy("todo kind", "Overdue"),
    "whistle_unanswered": pgettext_lazy("todo kind", "Whistle unanswered"),
    "hotline_due": pgettext_lazy("todo kind", "12345 deadline"),
    "community_overdue_hard": pgettext_lazy("todo kind", "Hard matters overdue"),
    "signup_pending": pgettext_lazy("todo kind", "Accounts to confirm"),
    "matter_triage": pgettext_lazy("todo kind", "To triage"),
    "matter_ack": pgettext_lazy("todo kind", "To acknowledge"),
    "matter_due_today": pgettext_lazy("todo kind", "Due today"),
    "matter_handle": pgettext_lazy("todo kind", "To handle"),
    "matter_feedback": pgettext_lazy("todo kind", "Feedback to give"),
    "mediation_followup": pgettext_lazy("todo kind", "Follow-up visit"),
    "meeting_invite": pgettext_lazy("todo kind", "Meeting invitation"),
    "meeting_week": pgettext_lazy("todo kind", "Coming meeting"),
    "service_confirm": pgettext_lazy("todo kind", "Hours to confirm"),
    "points_claim": pgettext_lazy("todo kind", "Points claims"),
    "shop_order": pgettext_lazy("todo kind", "Orders to hand out"),
    "order_pickup": pgettext_lazy("todo kind", "To pick up"),
    "vote_open": pgettext_lazy("todo kind", "Vote open"),
    "community_low_rates": pgettext_lazy("todo kind", "Lowest rates"),
    "matter_waiting": pgettext_lazy("todo kind", "Waiting for others"),
    "care_overdue": pgettext_lazy("todo kind", "Care visit overdue"),
    "care_due": pgettext_lazy("todo kind", "Care visit due"),
    "care_missed": pgettext_lazy("todo kind", "Care visit missed"),
}
# Kinds that keep the user informed rather than ask them to act: listed, not in the badge.
FOLLOW_KINDS = frozenset({"matter_waiting", "meeting_week", "community_low_rates"})


@dataclass(frozen=True)
class _Ctx:
    user: User
    profile: Any  # accounts.Profile, or None for a superuser without one
    now: dt.datetime

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    @property
    def role(self) -> str | None:
        return matter_rules.role(self.user)

    @property
    def wide(self) -> bool:
        """The user looks across communities: places name their community."""
        return self.role in ("superuser", UserRole.SUBDISTRICT_OFFICIAL)


@dataclass(frozen=True)
class _Entry:
    kind: str
    title: str
    link: str
    place: str
    due_at: dt.datetime | None
    overdue: bool
    at: dt.datetime | None = None

    def urgency(self) -> tuple:
        newest = -self.at.timestamp() if self.at else 0.0
        due = self.due_at.timestamp() if self.due_at else 0.0
        # What asks the user to act comes before what only keeps them informed.
        return (not self.overdue, self.kind in FOLLOW_KINDS, self.due_at is None, due, newest)

    def item(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "link": self.link,
            "place": self.place,
            "due_at": self.due_at,
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class _Part:
    """Some kinds of to-do: ``count()`` → {kind: n}; ``read(kind, limit)`` → entries."""

    kinds: tuple[str, ...]
    count: Callable[[], dict[str, int]]
    read: Callable[[str | None, int], list[_Entry]]


def _short(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(TEXT_CHARS)


def _place(ctx: _Ctx, community, compound=None, building=None) -> str:
    if building is not None:
        lower = str(building)
    elif compound is not None:
        lower = compound.name
    else:
        return community.name
    return f"{community.name} · {lower}" if ctx.wide else lower


def _names(ctx: _Ctx, community: str, compound: str | None) -> str:
    """The place of a grouped row, from the names it was read with."""
    if not compound:
        return community
    return f"{community} · {compound}" if ctx.wide else compound


def _grouped(qs, *fields: str):
    """``values`` for a GROUP BY: without the model's default ordering, whose columns would
    join the grouping."""
    return qs.order_by().values(*fields)


# ---- matters ---------------------------------------------------------------------------------

# (kind, filter, the matter's field holding its due time or None). The first match wins, so a
# matter is listed once, under its most urgent kind.
_MatterRule = tuple[str, Q, str | Case | None]  # kind, which matters, their due time


def _matter_titles() -> dict[str, str]:
    return {
        "matter_overdue": pgettext("to-do title", "Finish it now: %(text)s"),
        "matter_triage": pgettext("to-do title", "Check and assign: %(text)s"),
        "matter_ack": pgettext("to-do title", "Acknowledge: %(text)s"),
        "matter_due_today": pgettext("to-do title", "Finish it today: %(text)s"),
        "matter_handle": pgettext("to-do title", "Handle: %(text)s"),
        "matter_feedback": pgettext("to-do title", "Give your feedback: %(text)s"),
        # What the resident (or the reporter on the grid) waits for: the matter's status.
        "matter_waiting": pgettext("to-do title", "%(status)s: %(text)s"),
    }


_NO_DUE = Cast(Value(None), DateTimeField())


def _due_expression(field):
    """A rule's due time: a field name, an expression, or None (a typed NULL)."""
    if field is None:
        return _NO_DUE
    return F(field) if isinstance(field, str) else field


def _matter_part(ctx: _Ctx, rules: list[_MatterRule]) -> _Part:
    kinds = tuple(kind for kind, _q, _field in rules)
    base = matter_rules.matters_visible(ctx.user, Matter.objects.all())
    qs = base.filter(functools.reduce(operator.or_, (q for _kind, q, _field in rules))).annotate(
        todo_kind=Case(
            *[When(q, then=Value(kind)) for kind, q, _field in rules],
            default=Value(""),
            output_field=CharField(),
        )
    )

    def count() -> dict[str, int]:
        rows = _grouped(qs, "todo_kind").annotate(n=Count("pk")).values_list("todo_kind", "n")
        return dict(rows)

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.filter(todo_kind=kind) if kind else qs
        due = Case(
            # A typed NULL: PostgreSQL reads a CASE of bare NULLs as text.
            *[When(q, then=_due_expression(field)) for _kind, q, field in rules],
            output_field=DateTimeField(),
        )
        late = Case(
            When(todo_kind="matter_overdue", then=Value(True)),
            When(todo_due__lt=ctx.now, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        rows = (
            rows.annotate(todo_due=due)
            .annotate(todo_late=late)
            .select_related("community", "compound", "building__compound")
            .order_by("-todo_late", F("todo_due").asc(nulls_last=True), "-created_at", "-pk")
        )
        titles = _matter_titles()
        return [
            _Entry(
                kind=m.todo_kind,
                title=titles[m.todo_kind]
                % {"text": _short(m.text), "status": m.get_status_display()},
                link=reverse("matters:detail", args=[m.pk]),
                place=_place(ctx, m.community, m.compound, m.building),
                due_at=m.todo_due,
                overdue=m.todo_late,
                at=m.created_at,
            )
            for m in rows[:limit]
        ]

    return _Part(kinds, count, read)


def _late(ctx: _Ctx) -> Q:
    return late_q(ctx.now) & Q(status__in=WORKING_STATUSES)


def _missed(ctx: _Ctx) -> Case:
    """The deadline a late matter missed: its resolve-by time once passed, else the
    acknowledge-by time (a matter flagged for a late acknowledgement keeps a resolve-by time in
    the future, and "overdue since" that future day read as nonsense — seen on the demo)."""
    return Case(
        When(due_at__lt=ctx.now, then=F("due_at")),
        default=Coalesce(F("ack_due_at"), F("due_at")),
        output_field=DateTimeField(),
    )


def _owned_by_user(ctx: _Ctx) -> Exists:
    """The user's own account is an active owner of the matter (a grid worker or staff)."""
    return Exists(
        MatterOwner.objects.filter(matter=OuterRef("pk"), active=True, user_id=ctx.user.pk)
    )


_HANDLING = (Status.ACKNOWLEDGED, Status.ASSIGNED, Status.IN_PROGRESS)


def _due_today(ctx: _Ctx) -> Q:
    """Still being worked on, to be resolved between now and midnight."""
    tomorrow = day_start(ctx.today + dt.timedelta(days=1))
    return Q(status__in=WORKING_STATUSES, due_at__gte=ctx.now, due_at__lt=tomorrow)


def _grid_matters(ctx: _Ctx) -> _Part:
    unowned = ~Exists(MatterOwner.objects.filter(matter=OuterRef("pk"), active=True))
    theirs = Q(status__in=_HANDLING) & (Q(_owned_by_user(ctx)) | Q(unowned))
    return _matter_part(
        ctx,
        [
            ("matter_overdue", _late(ctx), _missed(ctx)),
            ("matter_ack", Q(status=Status.RECEIVED), "ack_due_at"),
            ("matter_due_today", theirs & _due_today(ctx), "due_at"),
            ("matter_handle", theirs, "due_at"),
            ("matter_waiting", Q(entered_by=ctx.user, status__in=WORKING_STATUSES), None),
        ],
    )


def _staff_matters(ctx: _Ctx) -> _Part:
    received = Q(status=Status.RECEIVED)
    return _matter_part(
        ctx,
        [
            ("matter_overdue", _late(ctx), _missed(ctx)),
            ("matter_triage", received & Q(classification_confirmed=False), "ack_due_at"),
            ("matter_ack", received, "ack_due_at"),
            ("matter_due_today", _due_today(ctx), "due_at"),
            ("matter_handle", Q(status__in=WORKING_STATUSES) & Q(_owned_by_user(ctx)), "due_at"),
        ],
    )


def _partner_matters(ctx: _Ctx) -> _Part:
    # matters_visible gives a partner exactly the matters they or their teams own.
    return _matter_part(
        ctx,
        [
            ("matter_overdue", _late(ctx), _missed(ctx)),
            ("matter_ack", Q(status=Status.RECEIVED), "ack_due_at"),
            ("matter_handle", Q(status__in=WORKING_STATUSES), "due_at"),
        ],
    )


def _resident_matters(ctx: _Ctx) -> _Part:
    # matters_visible gives a resident exactly the matters they reported or joined.
    return _matter_part(
        ctx,
        [
            ("matter_feedback", Q(status=Status.DONE), None),
            ("matter_waiting", Q(status__in=WORKING_STATUSES), None),
        ],
    )


def _whistles(ctx: _Ctx) -> _Part:
    """Summoned departments (吹哨) past their response time without a recorded response."""
    visible = matter_rules.matters_visible(ctx.user, Matter.objects.all())
    # The response names its owner in the event's JSON: compared as text, which reads the
    # same on SQLite and PostgreSQL (jsonb has no "=" with a bigint).
    responded = MatterEvent.objects.annotate(
        owner_text=Cast(KT("data__owner"), CharField())
    ).filter(
        matter_id=OuterRef("matter_id"),
        action="whistle_response",
        owner_text=Cast(OuterRef("pk"), CharField()),
    )
    qs = MatterOwner.objects.filter(
        is_whistle=True,
        active=True,
        respond_by__lt=ctx.now,
        matter__status__in=WORKING_STATUSES,
        matter__in=visible.values("pk"),
    ).exclude(Exists(responded))

    def count() -> dict[str, int]:
        return {"whistle_unanswered": qs.count()}

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.select_related(
            "organisation",
            "matter__community",
            "matter__compound",
            "matter__building__compound",
        ).order_by("respond_by", "pk")
        return [
            _Entry(
                kind="whistle_unanswered",
                title=pgettext(
                    "to-do title", "%(organisation)s has not answered the whistle: %(text)s"
                )
                % {"organisation": owner.actor, "text": _short(owner.matter.text)},
                link=reverse("matters:detail", args=[owner.matter_id]),
                place=_place(
                    ctx, owner.matter.community, owner.matter.compound, owner.matter.building
                ),
                due_at=owner.respond_by,
                overdue=True,
                at=owner.assigned_at,
            )
            for owner in rows[:limit]
        ]

    return _Part(("whistle_unanswered",), count, read)


HOTLINE_SOON = dt.timedelta(hours=24)


def _hotline_orders(ctx: _Ctx, *, owned_only: bool) -> _Part:
    """12345 orders within ``HOTLINE_SOON`` of their hotline deadline or past it: signing for
    an order not yet signed, replying otherwise. Staff see their place's orders; grid workers
    and partners (``owned_only``) the orders of matters they own."""
    matters = matter_rules.matters_visible(ctx.user, Matter.objects.all())
    if owned_only and ctx.role == UserRole.GRID_WORKER:
        matters = matters.filter(_owned_by_user(ctx))
    qs = (
        HotlineOrder.objects.filter(status__in=HOTLINE_OPEN, matter__in=matters.values("pk"))
        .annotate(
            todo_due=Case(
                When(status=OrderStatus.RECEIVED, then=F("sign_due_at")),
                default=F("reply_due_at"),
                output_field=DateTimeField(),
            )
        )
        .filter(todo_due__lt=ctx.now + HOTLINE_SOON)
    )
    staff_page = hotline_rules.can_view_orders(ctx.user)

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.select_related(
            "matter__community", "matter__compound", "matter__building__compound"
        ).order_by("todo_due", "pk")
        sign = pgettext("to-do title", "Sign 12345 order %(no)s: %(text)s")
        reply = pgettext("to-do title", "Reply to 12345 order %(no)s: %(text)s")
        return [
            _Entry(
                kind="hotline_due",
                title=(sign if order.status == OrderStatus.RECEIVED else reply)
                % {"no": order.order_no, "text": _short(order.matter.text)},
                link=reverse("hotline:detail", args=[order.pk])
                if staff_page
                else reverse("matters:detail", args=[order.matter_id]),
                place=_place(
                    ctx, order.matter.community, order.matter.compound, order.matter.building
                ),
                due_at=order.todo_due,
                overdue=order.todo_due < ctx.now,
                at=order.received_at,
            )
            for order in rows[:limit]
        ]

    return _Part(("hotline_due",), lambda: {"hotline_due": qs.count()}, read)


def _communities_overdue_hard(ctx: _Ctx) -> _Part:
    """Communities of the official's reach with hard matters past their deadline. One row
    per community, so one query reads them all."""
    matters = matter_rules.matters_visible(ctx.user, Matter.objects.all())
    qs = matters.filter(_late(ctx), tier=Tier.HARD)

    @functools.cache
    def rows() -> list[dict]:
        grouped = _grouped(qs, "community", "community__name").annotate(
            n=Count("pk"), due=Min(_missed(ctx))
        )
        return list(grouped.order_by("-n", "community__name"))

    def read(kind: str | None, limit: int) -> list[_Entry]:
        return [
            _Entry(
                kind="community_overdue_hard",
                title=ngettext("%(n)s hard matter overdue", "%(n)s hard matters overdue", row["n"])
                % {"n": row["n"]},
                link=reverse("matters:list")
                + f"?place=community:{row['community']}&tier=hard&overdue=1",
                place=row["community__name"],
                due_at=row["due"],
                overdue=True,
            )
            for row in rows()[:limit]
        ]

    return _Part(("community_overdue_hard",), lambda: {"community_overdue_hard": len(rows())}, read)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def _score(rates: dict) -> float | None:
    """The composite; when a rate has no denominator yet (nothing rated, say), the composite
    of the rates there are, their weights rescaled — a community nobody rated still ranks."""
    if rates["composite"] is not None:
        return rates["composite"]
    weights = rate_settings()["composite"]
    known = {name: weight for name, weight in weights.items() if rates[name] is not None}
    if not known or not sum(known.values()):
        return None
    return sum(weight * rates[name] for name, weight in known.items()) / sum(known.values())


def _communities_low_rates(ctx: _Ctx) -> _Part:
    """The communities with the lowest composite of the three rates (``matters.rates``) over
    the matters submitted in the last ``RATES_DAYS`` days: one grouped query."""
    since = ctx.now - dt.timedelta(days=RATES_DAYS)
    matters = matter_rules.matters_visible(ctx.user, Matter.objects.all())

    @functools.cache
    def worst() -> list[tuple[dict, dict]]:
        grouped = _grouped(
            matters.filter(created_at__gte=since), "community", "community__name"
        ).annotate(**rate_counts(ctx.now))
        with_rates = [(row, rates_from_counts(row)) for row in grouped]
        scored = [(row, rates, _score(rates)) for row, rates in with_rates]
        scored = [entry for entry in scored if entry[2] is not None]
        scored.sort(key=lambda entry: (entry[2], entry[0]["community__name"]))
        return [(row, rates) for row, rates, _score_ in scored[:LOW_RATES]]

    def read(kind: str | None, limit: int) -> list[_Entry]:
        return [
            _Entry(
                kind="community_low_rates",
                title=_(
                    "Composite %(composite)s (response %(response)s, resolution "
                    "%(resolution)s, satisfaction %(satisfaction)s)"
                )
                % {name: _percent(value) for name, value in rates.items()},
                link=reverse("dashboard:dashboard") + f"?place=community:{row['community']}",
                place=row["community__name"],
                due_at=None,
                overdue=False,
            )
            for row, rates in worst()[:limit]
        ]

    return _Part(("community_low_rates",), lambda: {"community_low_rates": len(worst())}, read)


# ---- meetings --------------------------------------------------------------------------------


def _meeting_place(ctx: _Ctx, meeting: Meeting) -> str:
    if meeting.venue is not None:
        return meeting.venue.name
    return _place(ctx, meeting.community, meeting.compound, meeting.building)


def _self_participant_q(ctx: _Ctx) -> Q:
    """Invitations addressed to the user (the rows ``meetings.rules.is_participant_self``
    accepts): their account, their partner or their resident record."""
    q = Q(user_id=ctx.user.pk)
    if ctx.profile is not None and ctx.profile.partner_id:
        q |= Q(partner_id=ctx.profile.partner_id)
    if ctx.profile is not None and ctx.profile.resident_id:
        q |= Q(resident_id=ctx.profile.resident_id)
    return q


def _invitations(ctx: _Ctx) -> _Part:
    """Meetings of the next ``INVITE_DAYS`` days the user is invited to and has not declined."""
    meetings = meeting_rules.visible(
        ctx.user,
        Meeting.objects.upcoming(ctx.now).filter(
            starts_at__lt=ctx.now + dt.timedelta(days=INVITE_DAYS)
        ),
    )
    qs = Participant.objects.filter(
        _self_participant_q(ctx), meeting__in=meetings.values("pk")
    ).exclude(reply=Reply.DECLINED)

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.select_related(
            "meeting__venue", "meeting__community", "meeting__compound", "meeting__building"
        ).order_by("meeting__starts_at", "pk")
        entries = []
        for invitation in rows[:limit]:
            meeting = invitation.meeting
            title = (
                pgettext("to-do title", "Reply to the invitation: %(title)s")
                if invitation.reply == Reply.PENDING
                else pgettext("to-do title", "Attend: %(title)s")
            )
            entries.append(
                _Entry(
                    kind="meeting_invite",
                    title=title % {"title": meeting.title},
                    link=reverse("meetings:detail", args=[meeting.pk]),
                    place=_meeting_place(ctx, meeting),
                    due_at=meeting.starts_at,
                    overdue=False,
                )
            )
        return entries

    return _Part(("meeting_invite",), lambda: {"meeting_invite": qs.count()}, read)


def _meetings_week(ctx: _Ctx) -> _Part:
    """Meetings of the coming ``MEETING_DAYS`` days that staff run (their invitations are
    listed as such, not twice)."""
    qs = (
        meeting_rules.visible(ctx.user, Meeting.objects.all())
        .filter(
            status=MeetingStatus.PLANNED,
            starts_at__gte=ctx.now,
            starts_at__lt=ctx.now + dt.timedelta(days=MEETING_DAYS),
        )
        .exclude(Exists(Participant.objects.filter(meeting=OuterRef("pk"), user_id=ctx.user.pk)))
    )

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.select_related("venue", "community", "compound", "building").order_by(
            "starts_at", "pk"
        )
        return [
            _Entry(
                kind="meeting_week",
                title=meeting.title,
                link=reverse("meetings:detail", args=[meeting.pk]),
                place=_meeting_place(ctx, meeting),
                due_at=meeting.starts_at,
                overdue=False,
            )
            for meeting in rows[:limit]
        ]

    return _Part(("meeting_week",), lambda: {"meeting_week": qs.count()}, read)


# ---- volunteering and points -----------------------------------------------------------------


def _per_activity(ctx: _Ctx, kind: str, qs, prefix: str, title: Callable, link: Callable) -> _Part:
    """``qs`` (records or claims) grouped per activity: one item per activity."""
    activity = f"{prefix}activity"
    fields = (
        activity,
        f"{activity}__title",
        f"{activity}__community__name",
        f"{activity}__compound__name",
    )

    def count() -> dict[str, int]:
        return {kind: _grouped(qs, activity).distinct().count()}

    def read(_kind: str | None, limit: int) -> list[_Entry]:
        rows = (
            _grouped(qs, *fields)
            .annotate(n=Count("pk", distinct=True), latest=Max(f"{activity}__date"))
            .order_by("-latest", f"-{activity}")
        )
        return [
            _Entry(
                kind=kind,
                title=title(row["n"]) % {"n": row["n"], "activity": row[fields[1]]},
                link=link(row),
                place=_names(ctx, row[fields[2]], row[fields[3]]),
                due_at=None,
                overdue=False,
                at=day_start(row["latest"]),
            )
            for row in rows[:limit]
        ]

    return _Part((kind,), count, read)


def _service_to_confirm(ctx: _Ctx) -> _Part:
    """Hours participants claimed, for the organising side to confirm (谁组织谁记录):
    the activity's organiser, or community staff of its community."""
    organiser = Q(activity__organised_by_id=ctx.user.pk)
    if ctx.role == "superuser":
        organiser = Q()
    elif ctx.role == UserRole.COMMUNITY_STAFF:
        organiser |= Q(activity__community_id=ctx.profile.community_id_resolved)
    qs = volunteering_rules.records_visible(
        ctx.user, ServiceRecord.objects.filter(organiser, status=RecordStatus.CLAIMED)
    )
    return _per_activity(
        ctx,
        "service_confirm",
        qs,
        "",
        lambda n: ngettext(
            "Confirm %(n)s service record: %(activity)s",
            "Confirm %(n)s service records: %(activity)s",
            n,
        ),
        lambda row: reverse("volunteering:detail", args=[row["activity"]]),
    )


def _claims_to_review(ctx: _Ctx) -> _Part:
    """Points claims waiting for community staff: new ones to approve, objections to settle."""
    qs = volunteering_selectors.claim_list(ctx.user).filter(
        status__in=(ClaimStatus.APPLIED, ClaimStatus.OBJECTED)
    )
    if ctx.role != "superuser":
        qs = qs.filter(record__activity__community_id=ctx.profile.community_id_resolved)
    return _per_activity(
        ctx,
        "points_claim",
        qs,
        "record__",
        lambda n: ngettext(
            "Review %(n)s points claim: %(activity)s",
            "Review %(n)s points claims: %(activity)s",
            n,
        ),
        lambda row: (
            reverse("volunteering:claims") + "?" + urlencode({"q": row["record__activity__title"]})
        ),
    )


def _orders_to_hand_out(ctx: _Ctx) -> _Part:
    """Shop orders awaiting pickup at the community's desk, one item per shop item."""
    qs = points_selectors.redemption_list(ctx.user, status=RedemptionStatus.HELD)
    if ctx.role != "superuser":
        qs = qs.filter(item__community_id=ctx.profile.community_id_resolved)

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = (
            _grouped(qs, "item", "item__name", "item__community__name")
            .annotate(n=Count("pk"), due=Min("expires_at"), latest=Max("ordered_at"))
            .order_by("due", "item")
        )
        return [
            _Entry(
                kind="shop_order",
                title=ngettext(
                    "%(n)s order to hand out: %(item)s",
                    "%(n)s orders to hand out: %(item)s",
                    row["n"],
                )
                % {"n": row["n"], "item": row["item__name"]},
                link=reverse("points:desk") + "?status=held",
                place=row["item__community__name"],
                due_at=row["due"],
                overdue=False,
                at=row["latest"],
            )
            for row in rows[:limit]
        ]

    return _Part(
        ("shop_order",),
        lambda: {"shop_order": _grouped(qs, "item").distinct().count()},
        read,
    )


def _orders_to_pick_up(ctx: _Ctx) -> _Part:
    qs = points_selectors.redemption_list(ctx.user, status=RedemptionStatus.HELD, mine=True)

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.select_related("item__community").order_by("expires_at", "pk")
        return [
            _Entry(
                kind="order_pickup",
                title=pgettext("to-do title", "Pick up: %(item)s × %(quantity)s")
                % {"item": order.item.name, "quantity": order.quantity},
                link=reverse("points:mine"),
                place=order.item.community.name,
                due_at=order.expires_at,
                overdue=False,
                at=order.ordered_at,
            )
            for order in rows[:limit]
        ]

    return _Part(("order_pickup",), lambda: {"order_pickup": qs.count()}, read)


# ---- mediation -------------------------------------------------------------------------------


def _follow_ups(ctx: _Ctx) -> _Part:
    """Follow-up visits (回访) due by today, for those who may record them: the case's
    mediators and its authorised staff (``mediation.rules.full_q``)."""
    qs = FollowUp.objects.filter(
        done_at__isnull=True, case__status=CaseStatus.FOLLOWING_UP, due_on__lte=ctx.today
    )
    full = mediation_rules.full_q(ctx.user)
    if full is not None:
        # Joins through mediators and staff can repeat a case: filter by id.
        qs = qs.filter(case__in=MediationCase.objects.filter(full).values("pk"))

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.select_related(
            "case__community", "case__compound", "case__building__compound"
        ).order_by("due_on", "pk")
        return [
            _Entry(
                kind="mediation_followup",
                title=pgettext("to-do title", "Follow-up visit: case #%(id)s (%(kind)s)")
                % {"id": visit.case_id, "kind": visit.case.get_kind_display()},
                link=reverse("mediation:detail", args=[visit.case_id]),
                place=_place(ctx, visit.case.community, visit.case.compound, visit.case.building),
                due_at=day_start(visit.due_on),
                overdue=visit.due_on < ctx.today,
            )
            for visit in rows[:limit]
        ]

    return _Part(("mediation_followup",), lambda: {"mediation_followup": qs.count()}, read)


# ---- accounts --------------------------------------------------------------------------------


def _signups(ctx: _Ctx) -> _Part:
    """Residents' own sign-ups the registry could not match, waiting for the community's staff
    to link them to a resident or reject them (``accounts.rules.signups_visible``)."""
    qs = account_rules.signups_visible(ctx.user, SignUp.objects.filter(status=SignUpStatus.PENDING))

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.select_related("community", "household__unit__building__compound").order_by(
            "created_at", "pk"
        )
        return [
            _Entry(
                kind="signup_pending",
                title=pgettext("to-do title", "Confirm who signed up: %(name)s")
                % {"name": signup.name},
                link=reverse("accounts:pending_detail", args=[signup.pk]),
                place=signup.household.label if signup.household_id else signup.community.name,
                due_at=None,
                overdue=False,
                at=signup.created_at,
            )
            for signup in rows[:limit]
        ]

    return _Part(("signup_pending",), lambda: {"signup_pending": qs.count()}, read)


# ---- votes -----------------------------------------------------------------------------------


def _home_of(ctx: _Ctx) -> tuple[int, int, int] | None:
    """(building, compound, community) of the resident's home."""
    return (
        Resident.objects.filter(pk=ctx.profile.resident_id)
        .values_list(
            "household__unit__building",
            "household__unit__building__compound",
            "household__unit__building__compound__community",
        )
        .first()
    )


def _elections(ctx: _Ctx, home) -> _Part:
    """Elections of the resident's community open for voting today, if staff verified them
    and they have not voted yet (``honours.services.ballot_cast`` checks the same)."""
    resident_id = ctx.profile.resident_id
    qs = (
        honours_rules.elections_visible(ctx.user, Election.objects.all())
        .filter(
            community_id=home[2],
            status=ElectionStatus.VOTING,
            vote_from__lte=ctx.today,
            vote_to__gte=ctx.today,
        )
        .filter(Exists(ResidentVerification.objects.filter(resident_id=resident_id)))
        .exclude(
            Exists(Participation.objects.filter(election=OuterRef("pk"), resident_id=resident_id))
        )
        .select_related("community")
    )

    def read(kind: str | None, limit: int) -> list[_Entry]:
        return [
            _Entry(
                kind="vote_open",
                title=pgettext("to-do title", "Vote: %(title)s") % {"title": election.title},
                link=reverse("honours:election", args=[election.pk]),
                place=election.community.name,
                due_at=day_start(election.vote_to + dt.timedelta(days=1)),
                overdue=False,
            )
            for election in qs.order_by("vote_to", "pk")[:limit]
        ]

    return _Part(("vote_open",), lambda: {"vote_open": qs.count()}, read)


def _pre_evaluations(ctx: _Ctx, home) -> _Part:
    """Projects in pre-evaluation whose scope holds the resident's home and that they have not
    voted on (the scope test of ``projects.rules.voter``, for all projects at once)."""
    building, compound, community = home
    in_scope = (
        Q(building_id=building)
        | Q(building__isnull=True, compound_id=compound)
        | Q(compound__isnull=True, community_id=community)
    )
    qs = (
        projects_visible(ctx.user)
        .filter(in_scope, stage=Stage.PRE_EVALUATION)
        .exclude(
            Exists(
                PreVote.objects.filter(project=OuterRef("pk"), resident_id=ctx.profile.resident_id)
            )
        )
    )

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.select_related("community", "compound", "building__compound").order_by(
            "-proposed_at", "-pk"
        )
        return [
            _Entry(
                kind="vote_open",
                title=pgettext("to-do title", "Say whether you support: %(title)s")
                % {"title": project.title},
                link=reverse("projects:detail", args=[project.pk]),
                place=_place(ctx, project.community, project.compound, project.building),
                due_at=None,
                overdue=False,
                at=project.proposed_at,
            )
            for project in rows[:limit]
        ]

    return _Part(("vote_open",), lambda: {"vote_open": qs.count()}, read)


# ---- visits and care -------------------------------------------------------------------------


def _care_entry(ctx: _Ctx, kind: str, subject: CareSubject, title: str, link: str) -> _Entry:
    building = subject.resident.household.unit.building
    return _Entry(
        kind=kind,
        title=title,
        link=link,
        place=_place(ctx, building.compound.community, building.compound, building),
        due_at=day_start(subject.next_due_on),
        overdue=subject.next_due_on < ctx.today,
    )


def _care_visits(ctx: _Ctx) -> _Part:
    """Care visits (关爱走访) the user is assigned to make: overdue, and due today."""
    qs = visit_selectors.care_due_for(ctx.user, ctx.today)
    late = Q(next_due_on__lt=ctx.today)

    def count() -> dict[str, int]:
        n = qs.aggregate(late=Count("id", filter=late), today=Count("id", filter=~late))
        return {"care_overdue": n["late"], "care_due": n["today"]}

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.filter(late) if kind == "care_overdue" else qs
        rows = rows.filter(~late) if kind == "care_due" else rows
        rows = rows.select_related("resident__household__unit__building__compound__community")
        return [
            _care_entry(
                ctx,
                "care_overdue" if subject.next_due_on < ctx.today else "care_due",
                subject,
                pgettext("to-do title", "Care visit: %(name)s") % {"name": subject.resident.name},
                f"{reverse('visits:new')}?household={subject.resident.household_id}&kind=care",
            )
            for subject in rows[:limit]
        ]

    return _Part(("care_overdue", "care_due"), count, read)


def _care_missed(ctx: _Ctx) -> _Part:
    """Care visits missed and reported by the sweep (``visits.sweep``), still not made."""
    qs = visit_rules.care_visible(
        ctx.user, CareSubject.objects.active().filter(escalated_due_on=F("next_due_on"))
    )

    def read(kind: str | None, limit: int) -> list[_Entry]:
        rows = qs.select_related(
            "resident__household__unit__building__compound__community"
        ).order_by("next_due_on", "pk")
        return [
            _care_entry(
                ctx,
                "care_missed",
                subject,
                pgettext("to-do title", "Care visit missed: %(name)s")
                % {"name": subject.resident.name},
                reverse("visits:care"),
            )
            for subject in rows[:limit]
        ]

    return _Part(("care_missed",), lambda: {"care_missed": qs.count()}, read)


# ---- per role --------------------------------------------------------------------------------


def _resident_parts(ctx: _Ctx) -> list[_Part]:
    parts = [_resident_matters(ctx), _orders_to_pick_up(ctx)]
    home = _home_of(ctx)
    if home is not None and home[0] is not None:
        parts += [_elections(ctx, home), _pre_evaluations(ctx, home)]
    return [*parts, _invitations(ctx)]


def _staff_parts(ctx: _Ctx) -> list[_Part]:
    return [
        _whistles(ctx),
        _hotline_orders(ctx, owned_only=False),
        _staff_matters(ctx),
        _signups(ctx),
        _care_missed(ctx),
        _follow_ups(ctx),
        _claims_to_review(ctx),
        _orders_to_hand_out(ctx),
        _service_to_confirm(ctx),
        _invitations(ctx),
        _meetings_week(ctx),
    ]


_ROLE_PARTS: dict[str, Callable[[_Ctx], list[_Part]]] = {
    UserRole.GRID_WORKER: lambda ctx: [
        _hotline_orders(ctx, owned_only=True),
        _grid_matters(ctx),
        _care_visits(ctx),
        _invitations(ctx),
        _service_to_confirm(ctx),
    ],
    UserRole.PARTNER: lambda ctx: [
        _hotline_orders(ctx, owned_only=True),
        _partner_matters(ctx),
        _care_visits(ctx),
        _follow_ups(ctx),
        _invitations(ctx),
        _service_to_confirm(ctx),
    ],
    UserRole.COMMUNITY_STAFF: _staff_parts,
    UserRole.SUBDISTRICT_OFFICIAL: lambda ctx: [
        _communities_overdue_hard(ctx),
        _whistles(ctx),
        _invitations(ctx),
        _communities_low_rates(ctx),
    ],
    UserRole.RESIDENT: _resident_parts,
    "superuser": _staff_parts,
}


def _parts(user, now: dt.datetime | None) -> list[_Part]:
    if not getattr(user, "is_authenticated", False):
        return []
    ctx = _Ctx(user=user, profile=profile_of(user), now=now or timezone.now())
    build = _ROLE_PARTS.get(ctx.role) if ctx.role else None
    return build(ctx) if build else []


def todo_for(user, *, now: dt.datetime | None = None, kind: str | None = None) -> dict:
    """``{"items": [...], "counts": {kind: n}}``: the user's to-do, most urgent first.

    ``items`` holds at most ``LIMIT`` items, only of ``kind`` when given; ``counts`` counts
    every kind the user's role can have (zeros included), whatever ``kind`` is."""
    counts: dict[str, int] = {}
    entries: list[_Entry] = []
    for part in _parts(user, now):
        counts.update({name: counts.get(name, 0) for name in part.kinds})
        for name, n in part.count().items():
            counts[name] = counts.get(name, 0) + n
        if kind is None or kind in part.kinds:
            entries += part.read(kind, LIMIT)
    entries.sort(key=_Entry.urgency)
    return {
        "items": [entry.item() for entry in entries[:LIMIT]],
        "counts": {name: counts.get(name, 0) for name in KINDS if name in counts},
    }


def badge(counts: dict[str, int]) -> int:
    """How many things ask the user to act: the counts, ``FOLLOW_KINDS`` left out."""
    return sum(n for name, n in counts.items() if name not in FOLLOW_KINDS)


def todo_count(user, *, now: dt.datetime | None = None) -> int:
    """The navigation badge (``badge``), counting only: no rows read, and the parts that hold
    only ``FOLLOW_KINDS`` not queried at all."""
    return sum(
        badge(part.count()) for part in _parts(user, now) if not FOLLOW_KINDS.issuperset(part.kinds)
    )

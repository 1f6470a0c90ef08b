"""Reads of mediation cases for pages, the API and the export.

``case_list`` returns the cases whose existence the user may see; ``case_for`` is the one
fetch-and-authorise helper: it returns the case with the user's access level or raises
``Http404``. ``case_view`` turns a case and an access level into what may be shown: every
confidential field is blanked unless the level allows it (see ``rules.py``).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.mediation import rules
from gongzhi.mediation.models import (
    CaseParty,
    CaseSession,
    FollowUp,
    MediationCase,
)


def case_list(
    user,
    *,
    place: Place | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> QuerySet[MediationCase]:
    qs = MediationCase.objects.select_related("community", "compound", "building__compound")
    qs = narrow(rules.cases_visible(user, qs), place)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-opened_at", "-id")


@dataclass(frozen=True)
class CaseAccess:
    case: MediationCase
    level: str

    @property
    def full(self) -> bool:
        return self.level == rules.FULL


def case_for(user, pk: int) -> CaseAccess:
    """The case ``pk`` and the user's access level; 404 if the user may not know of it."""
    case = case_list(user).filter(pk=pk).first()
    if case is None:
        raise Http404
    level = rules.access(user, case)
    if level is None:  # pragma: no cover - case_list and access agree
        raise Http404
    return CaseAccess(case, level)


@dataclass
class CaseView:
    """What a viewer may see of one case. Confidential fields are None when withheld."""

    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    opened_at: dt.datetime
    place_label: str
    community: str
    access: str
    outcome: str | None = None
    outcome_label: str | None = None
    closed_at: dt.datetime | None = None
    description: str | None = None
    parties: list[str] | None = None
    mediators: list[str] | None = None
    agreement_text: str | None = None
    referred_to: str | None = None
    referred_to_label: str | None = None
    referral_note: str | None = None
    matter_id: int | None = None
    sessions: list[dict] | None = None
    follow_ups: list[dict] = field(default_factory=list)


def case_view(case: MediationCase, level: str, *, with_records: bool = False) -> CaseView:
    """Redact ``case`` for ``level``. ``with_records`` adds sessions and follow-ups (detail)."""
    view = CaseView(
        id=case.pk,
        kind=case.kind,
        kind_label=case.get_kind_display(),
        status=case.status,
        status_label=case.get_status_display(),
        opened_at=case.opened_at,
        place_label=str(case.place),
        community=case.community.name,
        access=level,
        closed_at=case.closed_at,
    )
    if level in (rules.FULL, rules.PARTY):
        view.outcome = case.outcome
        view.outcome_label = case.get_outcome_display()
        view.agreement_text = case.agreement_text
        view.referred_to = case.referred_to
        view.referred_to_label = case.get_referred_to_display() if case.referred_to else None
    if level == rules.FULL:
        view.description = case.description
        view.parties = [party.label for party in case.parties.all()]
        view.mediators = [partner.name for partner in case.mediators.all()]
        view.referral_note = case.referral_note
        view.matter_id = case.matter_id
    if with_records:
        follow_ups = list(case.follow_ups.all())
        view.follow_ups = [
            {
                "id": f.pk,
                "after_days": f.after_days,
                "due_on": f.due_on,
                "done_at": f.done_at,
                "held": f.held if level in (rules.FULL, rules.PARTY) else None,
                "notes": f.notes if level == rules.FULL else None,
            }
            for f in follow_ups
        ]
        if level == rules.FULL:
            view.sessions = [
                {"id": s.pk, "held_at": s.held_at, "notes": s.notes} for s in case.sessions.all()
            ]
    return view


def with_details(qs: QuerySet[MediationCase]) -> QuerySet[MediationCase]:
    """Prefetch what a full view shows (parties, mediators, sessions, follow-ups)."""
    return qs.prefetch_related(
        Prefetch(
            "parties",
            queryset=CaseParty.objects.select_related("resident", "organisation"),
        ),
        "mediators",
        Prefetch("sessions", queryset=CaseSession.objects.order_by("held_at", "id")),
        Prefetch("follow_ups", queryset=FollowUp.objects.order_by("due_on", "id")),
    )


def case_views(user, qs: QuerySet[MediationCase]) -> list[CaseView]:
    """Rows of a list, each redacted for the user (a fixed number of queries)."""
    cases = list(with_details(qs))
    full = rules.full_ids(user, [case.pk for case in cases])
    party_ids = _party_case_ids(user, [case.pk for case in cases])
    views = []
    for case in cases:
        if full is None or case.pk in full:
            level = rules.FULL
        elif case.pk in party_ids:
            level = rules.PARTY
        else:
            level = rules.SUMMARY
        views.append(case_view(case, level))
    return views


def _party_case_ids(user, case_ids) -> set[int]:
    profile = getattr(user, "profile", None) if getattr(user, "is_authenticated", False) else None
    if profile is None or profile.resident_id is None or profile.role != "resident":
        return set()
    return set(
        CaseParty.objects.filter(case_id__in=case_ids, resident_id=profile.resident_id).values_list(
            "case_id", flat=True
        )
    )

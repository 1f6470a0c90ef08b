"""Elections of good people (好人评选) and the verified residents who vote in them.

An election moves nomination → screening → voting → assessment → publicity → published, one
function per transition: each locks the election (``flow.locked``), checks the actor on the
fresh row, then the source state, saves with ``update_fields`` and appends an
``ElectionEvent`` at the moment given (``core.services.Transitions``). A vote writes the
voter's ``Participation`` and an anonymous ``Ballot`` in one transaction.
"""

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.scope import Actor
from gongzhi.core.services import Transitions, acting_user, now_or
from gongzhi.honours import rules, selectors
from gongzhi.honours.models import (
    MIN_PUBLICITY_DAYS,
    Ballot,
    Candidate,
    Election,
    ElectionEvent,
    ElectionStatus,
    GoodPersonCategory,
    Objection,
    Participation,
    ResidentVerification,
    Screening,
    VerificationMethod,
)
from gongzhi.honours.services.common import (
    HonoursError,
    check_belongs,
    checked_text,
    forbidden,
    resident_community_id,
    today_or,
)
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Community

flow = Transitions(
    Election,
    ElectionEvent,
    "election",
    error=HonoursError,
    bad_state=gettext_lazy("An election in “%(status)s” cannot be %(verb)s."),
)

# The election's moves: action → (the states it starts from, the state it reaches, the verb of
# the refusal). ``_managed_for`` guards a move, ``_step`` makes it: the pair every transition
# repeated.
STEPS: dict[str, tuple[tuple[str, ...], str, str | Promise]] = {
    "start_screening": (
        (ElectionStatus.NOMINATION,),
        ElectionStatus.SCREENING,
        gettext_lazy("moved to screening"),
    ),
    "open_voting": (
        (ElectionStatus.SCREENING,),
        ElectionStatus.VOTING,
        gettext_lazy("opened for voting"),
    ),
    "close_voting": (
        (ElectionStatus.VOTING,),
        ElectionStatus.ASSESSMENT,
        gettext_lazy("closed for voting"),
    ),
    "start_publicity": (
        (ElectionStatus.ASSESSMENT,),
        ElectionStatus.PUBLICITY,
        gettext_lazy("put up for publicity"),
    ),
    "publish": ((ElectionStatus.PUBLICITY,), ElectionStatus.PUBLISHED, gettext_lazy("published")),
}


# ---- verified residents -------------------------------------------------------------------


@transaction.atomic
def resident_verify(
    *, resident: Resident, method: str, actor: Actor, now: dt.datetime | None = None
) -> ResidentVerification:
    """Record that staff checked a resident's identity. Verifying twice keeps the first."""
    if not rules.can_manage(actor, resident_community_id(resident)):
        raise forbidden()
    if method not in VerificationMethod.values:
        raise HonoursError("invalid", _("Choose how the resident was verified."))
    verification, _created = ResidentVerification.objects.get_or_create(
        resident=resident,
        defaults={
            "method": method,
            "verified_by": acting_user(actor),
            "verified_at": now_or(now),
        },
    )
    return verification


# ---- elections ----------------------------------------------------------------------------


def _managed(election: Election, actor: Actor, *, allowed: Sequence[str], verb: str) -> Election:
    """The election's row, locked; then the actor's right to run it (on the fresh row); then
    its state."""
    election = flow.locked(election)
    if not rules.can_manage(actor, election.community_id):
        raise forbidden()
    if election.status not in allowed:
        raise flow.bad_state(election, verb)
    return election


def _managed_for(election: Election, actor: Actor, action: str) -> Election:
    """``_managed`` for one of ``STEPS``: locked, permitted, in a state the move starts from."""
    allowed, _to, verb = STEPS[action]
    return _managed(election, actor, allowed=allowed, verb=str(verb))


def _step(
    election: Election,
    action: str,
    *,
    actor: Actor,
    now: dt.datetime | None,
    fields: Sequence[str] = (),
) -> Election:
    """Make one of ``STEPS`` on a row ``_managed_for`` returned: save, one history row."""
    allowed, to, verb = STEPS[action]
    return flow.move(
        election,
        to=to,
        allowed=allowed,
        verb=str(verb),
        actor=actor,
        action=action,
        fields=fields,
        now=now,
    )


def _check_settings(*, max_choices, seats, vote_from, vote_to, vote_weight, publicity_days):
    if not isinstance(max_choices, int) or not 1 <= max_choices <= 50:
        raise HonoursError("invalid", _("A ballot allows between 1 and 50 choices."))
    if not isinstance(seats, int) or not 1 <= seats <= 50:
        raise HonoursError("invalid", _("Honour between 1 and 50 people."))
    if vote_from is None or vote_to is None or vote_to < vote_from:
        raise HonoursError("invalid", _("Voting must close on or after the day it opens."))
    if not isinstance(vote_weight, int) or not 0 <= vote_weight <= 100:
        raise HonoursError("invalid", _("The weight of the vote is a percentage from 0 to 100."))
    if not isinstance(publicity_days, int) or not MIN_PUBLICITY_DAYS <= publicity_days <= 60:
        raise HonoursError(
            "invalid",
            _("Publicity lasts at least %(min)d days.") % {"min": MIN_PUBLICITY_DAYS},
        )


@transaction.atomic
def election_create(
    *,
    community: Community,
    title: str,
    max_choices: int,
    seats: int,
    vote_from: dt.date,
    vote_to: dt.date,
    actor: Actor,
    vote_weight: int = 40,
    publicity_days: int = MIN_PUBLICITY_DAYS,
    now: dt.datetime | None = None,
) -> Election:
    if not rules.can_manage(actor, community.pk):
        raise forbidden()
    title = checked_text(title, what=_("the title"), limit=100)
    _check_settings(
        max_choices=max_choices,
        seats=seats,
        vote_from=vote_from,
        vote_to=vote_to,
        vote_weight=vote_weight,
        publicity_days=publicity_days,
    )
    election = Election.objects.create(
        community=community,
        title=title,
        max_choices=max_choices,
        seats=seats,
        vote_from=vote_from,
        vote_to=vote_to,
        vote_weight=vote_weight,
        publicity_days=publicity_days,
        created_by=acting_user(actor),
    )
    flow.record(election, actor=actor, action="create", now=now)
    return election


@transaction.atomic
def candidate_nominate(
    *,
    election: Election,
    name: str,
    category: str,
    deeds: str,
    actor: Actor,
    resident: Resident | None = None,
    partner: Partner | None = None,
) -> Candidate:
    election = flow.locked(election)
    if not rules.can_nominate(actor, election):
        raise forbidden()
    if election.status != ElectionStatus.NOMINATION:
        raise flow.bad_state(election, _("given nominations"))
    if category not in GoodPersonCategory.values:
        raise HonoursError("invalid", _("Choose one of the five categories."))
    person = resident or partner
    name = checked_text(name or (person.name if person else ""), what=_("the name"), limit=40)
    deeds = checked_text(deeds, what=_("the good deeds"))
    check_belongs(
        election.community_id,
        resident=resident,
        partner=partner,
        lives=_("The nominee must live in this community."),
        partner_of=_("The nominee must be a partner of this community."),
    )
    return Candidate.objects.create(
        election=election,
        name=name,
        category=category,
        deeds=deeds,
        resident=resident,
        partner=partner,
        nominated_by=acting_user(actor),
    )


@transaction.atomic
def election_start_screening(
    *, election: Election, actor: Actor, now: dt.datetime | None = None
) -> Election:
    election = _managed_for(election, actor, "start_screening")
    if not election.candidates.exists():
        raise HonoursError("no_candidates", _("Nobody has been nominated yet."))
    return _step(election, "start_screening", actor=actor, now=now)


@transaction.atomic
def candidate_screen(
    *, candidate: Candidate, accepted: bool, actor: Actor, note: str = ""
) -> Candidate:
    election = _managed(
        candidate.election, actor, allowed=[ElectionStatus.SCREENING], verb=_("screened")
    )
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk, election=election)
    note = checked_text(note, what=_("the note"), limit=200, required=not accepted)
    candidate.screening = Screening.ACCEPTED if accepted else Screening.REJECTED
    candidate.screening_note = note
    candidate.save(update_fields=["screening", "screening_note"])
    return candidate


@transaction.atomic
def election_open_voting(
    *, election: Election, actor: Actor, now: dt.datetime | None = None
) -> Election:
    election = _managed_for(election, actor, "open_voting")
    candidates = election.candidates
    if candidates.filter(screening=Screening.PENDING).exists():
        raise HonoursError("unscreened", _("Screen every nominee before voting opens."))
    if not candidates.filter(screening=Screening.ACCEPTED).exists():
        raise HonoursError("no_candidates", _("No nominee passed screening."))
    return _step(election, "open_voting", actor=actor, now=now)


def _clean_choices(election: Election, choices) -> list[int]:
    if not isinstance(choices, list | tuple) or not choices:
        raise HonoursError("invalid_choices", _("Choose at least one candidate."))
    try:
        ids = [int(choice) for choice in choices]
    except (TypeError, ValueError):
        raise HonoursError("invalid_choices", _("Unknown candidate.")) from None
    if len(set(ids)) != len(ids):
        raise HonoursError("invalid_choices", _("Choose each candidate at most once."))
    if len(ids) > election.max_choices:
        raise HonoursError(
            "too_many_choices",
            _("Choose at most %(n)d candidates; a ballot with more is invalid.")
            % {"n": election.max_choices},
        )
    valid = set(selectors.ballot_candidates(election).values_list("pk", flat=True))
    if not set(ids) <= valid:
        raise HonoursError("invalid_choices", _("Unknown candidate."))
    return sorted(ids)


def election_vote(
    *, election: Election, actor: Actor, choices, today: dt.date | None = None
) -> Ballot:
    """Cast the actor's secret ballot: only a resident's own account votes."""
    resident = rules.voter_of(actor)
    if resident is None:
        raise HonoursError("not_a_voter", _("Only residents vote, with their own account."))
    return ballot_cast(election=election, resident=resident, choices=choices, today=today)


def ballot_cast(
    *, election: Election, resident: Resident, choices, today: dt.date | None = None
) -> Ballot:
    """Cast ``resident``'s ballot, the voter being already identified (``election_vote``
    for the web and API; the demo). The roll (who voted, which day) and the ballot box (what
    was chosen) are written in one transaction; nothing links the two rows."""
    today = today_or(today)
    try:
        with transaction.atomic():
            election = flow.locked(election)
            if resident_community_id(resident) != election.community_id:
                raise HonoursError("not_a_voter", _("This election is for another community."))
            if not selectors.is_verified(resident):
                raise HonoursError(
                    "not_verified",
                    _("Your identity has not been verified yet: ask the residents' committee."),
                )
            if election.status != ElectionStatus.VOTING or not (
                election.vote_from <= today <= election.vote_to
            ):
                raise HonoursError("closed", _("Voting is not open."))
            ids = _clean_choices(election, choices)
            if selectors.has_voted(election, resident):
                raise HonoursError("already_voted", _("You have already voted in this election."))
            Participation.objects.create(election=election, resident=resident, voted_on=today)
            return Ballot.objects.create(election=election, choices=ids)
    except IntegrityError:
        # A concurrent vote by the same resident won the unique (election, resident) row.
        raise HonoursError("already_voted", _("You have already voted in this election.")) from None


@transaction.atomic
def election_close_voting(
    *,
    election: Election,
    actor: Actor,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Election:
    """Close the ballot box after the window: count the votes and freeze the turnout base."""
    election = _managed_for(election, actor, "close_voting")
    if today_or(today) <= election.vote_to:
        raise HonoursError("window_open", _("Voting closes only after its last day."))
    counts = selectors.tally(election)
    for candidate in selectors.ballot_candidates(election):
        candidate.votes = counts.get(candidate.pk, 0)
        candidate.save(update_fields=["votes"])
    election.eligible = selectors.verified_residents(election.community_id).count()
    return _step(election, "close_voting", actor=actor, now=now, fields=["eligible"])


@transaction.atomic
def candidate_assess(*, candidate: Candidate, committee_score: int, actor: Actor) -> Candidate:
    election = _managed(
        candidate.election, actor, allowed=[ElectionStatus.ASSESSMENT], verb=_("assessed")
    )
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk, election=election)
    if candidate.screening != Screening.ACCEPTED:
        raise HonoursError("invalid", _("Only candidates on the ballot are assessed."))
    if not isinstance(committee_score, int) or not 0 <= committee_score <= 100:
        raise HonoursError("invalid_score", _("The committee's score is from 0 to 100."))
    candidate.committee_score = committee_score
    candidate.save(update_fields=["committee_score"])
    return candidate


def combined_score(*, election: Election, votes: int, voters: int, committee_score: int) -> float:
    """vote share (votes ÷ voters, as 0–100) × vote weight + committee score × the rest."""
    share = 100 * votes / voters if voters else 0.0
    return round((share * election.vote_weight + committee_score * election.score_weight) / 100, 2)


@transaction.atomic
def election_start_publicity(
    *,
    election: Election,
    actor: Actor,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Election:
    """Combine vote and committee score, rank, mark the top ``seats`` and publish them for
    objections (公示) for ``publicity_days`` days."""
    election = _managed_for(election, actor, "start_publicity")
    candidates = list(selectors.ballot_candidates(election).select_for_update())
    if any(c.committee_score is None for c in candidates):
        raise HonoursError("unscored", _("Score every candidate before publicity."))
    voters = election.participations.count()
    for candidate in candidates:
        candidate.combined_score = combined_score(
            election=election,
            votes=candidate.votes or 0,
            voters=voters,
            committee_score=candidate.committee_score,
        )
    candidates.sort(key=lambda c: (-c.combined_score, -(c.votes or 0), c.pk))
    for rank, candidate in enumerate(candidates, start=1):
        candidate.rank = rank
        candidate.elected = rank <= election.seats
        candidate.save(update_fields=["combined_score", "rank", "elected"])
    start = today_or(today)
    election.publicity_from = start
    election.publicity_until = start + dt.timedelta(days=election.publicity_days)
    return _step(
        election,
        "start_publicity",
        actor=actor,
        now=now,
        fields=["publicity_from", "publicity_until"],
    )


@transaction.atomic
def objection_raise(
    *,
    election: Election,
    text: str,
    actor: Actor,
    candidate: Candidate | None = None,
    anonymous: bool = False,
    today: dt.date | None = None,
) -> Objection:
    """Anyone who can see the election may object during publicity, with or without name."""
    election = flow.locked(election)
    if not rules.elections_visible(actor, Election.objects.filter(pk=election.pk)).exists():
        raise forbidden()
    if election.status != ElectionStatus.PUBLICITY:
        raise HonoursError("closed", _("Objections are taken during publicity only."))
    if candidate is not None and candidate.election_id != election.pk:
        raise HonoursError("invalid", _("Unknown candidate."))
    return Objection.objects.create(
        election=election,
        candidate=candidate,
        text=checked_text(text, what=_("the objection")),
        raised_by=None if anonymous else acting_user(actor),
        raised_on=today_or(today),
    )


@transaction.atomic
def objection_handle(
    *,
    objection: Objection,
    upheld: bool,
    outcome: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Objection:
    """Record the answer to an objection. An upheld objection against an honoured candidate
    takes the honour away (the next in rank does not move up: the committee decides)."""
    election = _managed(
        objection.election, actor, allowed=[ElectionStatus.PUBLICITY], verb=_("changed")
    )
    objection = Objection.objects.select_for_update().get(pk=objection.pk, election=election)
    if objection.handled:
        raise HonoursError("bad_state", _("This objection has already been handled."))
    objection.outcome = checked_text(outcome, what=_("the outcome"), limit=300)
    objection.handled = True
    objection.upheld = bool(upheld)
    objection.handled_by = acting_user(actor)
    objection.save(update_fields=["outcome", "handled", "upheld", "handled_by"])
    if upheld and objection.candidate_id:
        Candidate.objects.filter(pk=objection.candidate_id).update(elected=False)
    flow.record(
        election,
        actor=actor,
        action="handle_objection",
        from_status=election.status,
        note=objection.outcome,
        data={"objection": objection.pk, "upheld": objection.upheld},
        now=now,
    )
    return objection


@transaction.atomic
def election_publish(
    *,
    election: Election,
    actor: Actor,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Election:
    election = _managed_for(election, actor, "publish")
    today = today_or(today)
    until = election.publicity_until or today  # set when publicity starts
    if today < until:
        raise HonoursError(
            "publicity_running",
            _("Publicity runs until %(day)s.") % {"day": until.isoformat()},
        )
    if election.objections.filter(handled=False).exists():
        raise HonoursError("objections_open", _("Handle every objection before publishing."))
    election.published_on = today
    return _step(election, "publish", actor=actor, now=now, fields=["published_on"])

"""Every write to honours (see docs/honours.md).

Elections move nomination → screening → voting → assessment → publicity → published, one
function per transition: each locks the election, checks the actor and the source state,
saves with ``update_fields`` and appends an ``ElectionEvent``. A vote writes the voter's
``Participation`` and an anonymous ``Ballot`` in one transaction. Errors are
``HonoursError`` with a stable ``code`` and a translated message; a refused write changes
nothing.
"""

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.honours import rules, selectors
from gongzhi.honours.models import (
    MIN_PUBLICITY_DAYS,
    Ballot,
    Candidate,
    Election,
    ElectionEvent,
    ElectionStatus,
    GoodPersonCategory,
    HonourRoll,
    HonourRule,
    Metric,
    Objection,
    Participation,
    Period,
    Recommendation,
    RecommendLevel,
    RecommendOutcome,
    ResidentVerification,
    RollStatus,
    Screening,
    TalentProfile,
    VerificationMethod,
    period_bounds,
)
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Community
from gongzhi.points.models import AccountKind, JournalKind, Posting
from gongzhi.volunteering.models import ServiceRecord

MAX_TEXT = 2000


class HonoursError(Exception):
    """A refused write. ``code`` is stable for API clients; ``message`` is translated."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _forbidden() -> HonoursError:
    return HonoursError("forbidden", _("You may not do this."))


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _text(value: str, *, what: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise HonoursError("invalid", _("Please fill in %(what)s.") % {"what": what})
    if len(value) > limit:
        raise HonoursError(
            "invalid",
            _("%(what)s is too long: at most %(max)d characters.") % {"what": what, "max": limit},
        )
    return value


def resident_community_id(resident: Resident) -> int:
    return resident.household.unit.building.compound.community_id


# ---- verified residents -------------------------------------------------------------------


@transaction.atomic
def resident_verify(
    *, resident: Resident, method: str, actor, now: dt.datetime | None = None
) -> ResidentVerification:
    """Record that staff checked a resident's identity. Verifying twice keeps the first."""
    if not rules.can_manage(actor, resident_community_id(resident)):
        raise _forbidden()
    if method not in VerificationMethod.values:
        raise HonoursError("invalid", _("Choose how the resident was verified."))
    verification, _created = ResidentVerification.objects.get_or_create(
        resident=resident,
        defaults={
            "method": method,
            "verified_by": actor if getattr(actor, "pk", None) else None,
            "verified_at": now or timezone.now(),
        },
    )
    return verification


# ---- elections ----------------------------------------------------------------------------


def _event(election: Election, *, actor, action: str, from_status: str = "", note: str = ""):
    ElectionEvent.objects.create(
        election=election,
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=election.status,
        note=note[:300],
    )


def _locked(election: Election) -> Election:
    return Election.objects.select_for_update().get(pk=election.pk)


def _bad_state(election: Election, verb: str) -> HonoursError:
    return HonoursError(
        "bad_state",
        _("An election in “%(status)s” cannot be %(verb)s.")
        % {"status": election.get_status_display(), "verb": verb},
    )


def _managed(election: Election, actor, *, allowed: Sequence[str], verb: str) -> Election:
    if not rules.can_manage(actor, election.community_id):
        raise _forbidden()
    election = _locked(election)
    if election.status not in allowed:
        raise _bad_state(election, verb)
    return election


def _move(election: Election, *, to: str, actor, action: str, fields=(), note="") -> Election:
    from_status = election.status
    election.status = to
    election.save(update_fields=["status", *fields])
    _event(election, actor=actor, action=action, from_status=from_status, note=note)
    return election


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
    actor,
    vote_weight: int = 40,
    publicity_days: int = MIN_PUBLICITY_DAYS,
) -> Election:
    if not rules.can_manage(actor, community.pk):
        raise _forbidden()
    title = _text(title, what=_("the title"), limit=100)
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
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _event(election, actor=actor, action="create")
    return election


@transaction.atomic
def candidate_nominate(
    *,
    election: Election,
    name: str,
    category: str,
    deeds: str,
    actor,
    resident: Resident | None = None,
    partner: Partner | None = None,
) -> Candidate:
    election = _locked(election)
    if not rules.can_nominate(actor, election):
        raise _forbidden()
    if election.status != ElectionStatus.NOMINATION:
        raise _bad_state(election, _("given nominations"))
    if category not in GoodPersonCategory.values:
        raise HonoursError("invalid", _("Choose one of the five categories."))
    person = resident or partner
    name = _text(name or (person.name if person else ""), what=_("the name"), limit=40)
    deeds = _text(deeds, what=_("the good deeds"))
    if resident is not None and resident_community_id(resident) != election.community_id:
        raise HonoursError("invalid", _("The nominee must live in this community."))
    if partner is not None and partner.community_id != election.community_id:
        raise HonoursError("invalid", _("The nominee must be a partner of this community."))
    return Candidate.objects.create(
        election=election,
        name=name,
        category=category,
        deeds=deeds,
        resident=resident,
        partner=partner,
        nominated_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def election_start_screening(*, election: Election, actor) -> Election:
    election = _managed(
        election, actor, allowed=[ElectionStatus.NOMINATION], verb=_("moved to screening")
    )
    if not election.candidates.exists():
        raise HonoursError("no_candidates", _("Nobody has been nominated yet."))
    return _move(election, to=ElectionStatus.SCREENING, actor=actor, action="start_screening")


@transaction.atomic
def candidate_screen(*, candidate: Candidate, accepted: bool, actor, note: str = "") -> Candidate:
    election = _managed(
        candidate.election, actor, allowed=[ElectionStatus.SCREENING], verb=_("screened")
    )
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk, election=election)
    note = _text(note, what=_("the note"), limit=200, required=not accepted)
    candidate.screening = Screening.ACCEPTED if accepted else Screening.REJECTED
    candidate.screening_note = note
    candidate.save(update_fields=["screening", "screening_note"])
    return candidate


@transaction.atomic
def election_open_voting(*, election: Election, actor) -> Election:
    election = _managed(
        election, actor, allowed=[ElectionStatus.SCREENING], verb=_("opened for voting")
    )
    candidates = election.candidates
    if candidates.filter(screening=Screening.PENDING).exists():
        raise HonoursError("unscreened", _("Screen every nominee before voting opens."))
    if not candidates.filter(screening=Screening.ACCEPTED).exists():
        raise HonoursError("no_candidates", _("No nominee passed screening."))
    return _move(election, to=ElectionStatus.VOTING, actor=actor, action="open_voting")


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


def election_vote(*, election: Election, actor, choices, today: dt.date | None = None) -> Ballot:
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
    today = _today(today)
    try:
        with transaction.atomic():
            election = _locked(election)
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
def election_close_voting(*, election: Election, actor, today: dt.date | None = None) -> Election:
    """Close the ballot box after the window: count the votes and freeze the turnout base."""
    election = _managed(
        election, actor, allowed=[ElectionStatus.VOTING], verb=_("closed for voting")
    )
    if _today(today) <= election.vote_to:
        raise HonoursError("window_open", _("Voting closes only after its last day."))
    counts = selectors.tally(election)
    for candidate in selectors.ballot_candidates(election):
        candidate.votes = counts.get(candidate.pk, 0)
        candidate.save(update_fields=["votes"])
    election.eligible = selectors.verified_residents(election.community_id).count()
    return _move(
        election,
        to=ElectionStatus.ASSESSMENT,
        actor=actor,
        action="close_voting",
        fields=["eligible"],
    )


@transaction.atomic
def candidate_assess(*, candidate: Candidate, committee_score: int, actor) -> Candidate:
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
    *, election: Election, actor, today: dt.date | None = None
) -> Election:
    """Combine vote and committee score, rank, mark the top ``seats`` and publish them for
    objections (公示) for ``publicity_days`` days."""
    election = _managed(
        election, actor, allowed=[ElectionStatus.ASSESSMENT], verb=_("put up for publicity")
    )
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
    start = _today(today)
    election.publicity_from = start
    election.publicity_until = start + dt.timedelta(days=election.publicity_days)
    return _move(
        election,
        to=ElectionStatus.PUBLICITY,
        actor=actor,
        action="start_publicity",
        fields=["publicity_from", "publicity_until"],
    )


@transaction.atomic
def objection_raise(
    *,
    election: Election,
    text: str,
    actor,
    candidate: Candidate | None = None,
    anonymous: bool = False,
    today: dt.date | None = None,
) -> Objection:
    """Anyone who can see the election may object during publicity, with or without name."""
    election = _locked(election)
    if not rules.elections_visible(actor, Election.objects.filter(pk=election.pk)).exists():
        raise _forbidden()
    if election.status != ElectionStatus.PUBLICITY:
        raise HonoursError("closed", _("Objections are taken during publicity only."))
    if candidate is not None and candidate.election_id != election.pk:
        raise HonoursError("invalid", _("Unknown candidate."))
    return Objection.objects.create(
        election=election,
        candidate=candidate,
        text=_text(text, what=_("the objection")),
        raised_by=None if anonymous or not getattr(actor, "pk", None) else actor,
        raised_on=_today(today),
    )


@transaction.atomic
def objection_handle(*, objection: Objection, upheld: bool, outcome: str, actor) -> Objection:
    """Record the answer to an objection. An upheld objection against an honoured candidate
    takes the honour away (the next in rank does not move up: the committee decides)."""
    election = _managed(
        objection.election, actor, allowed=[ElectionStatus.PUBLICITY], verb=_("changed")
    )
    objection = Objection.objects.select_for_update().get(pk=objection.pk, election=election)
    if objection.handled:
        raise HonoursError("bad_state", _("This objection has already been handled."))
    objection.outcome = _text(outcome, what=_("the outcome"), limit=300)
    objection.handled = True
    objection.upheld = bool(upheld)
    objection.handled_by = actor
    objection.save(update_fields=["outcome", "handled", "upheld", "handled_by"])
    if upheld and objection.candidate_id:
        Candidate.objects.filter(pk=objection.candidate_id).update(elected=False)
    _event(
        election, actor=actor, action="handle_objection", from_status=election.status, note=outcome
    )
    return objection


@transaction.atomic
def election_publish(*, election: Election, actor, today: dt.date | None = None) -> Election:
    election = _managed(election, actor, allowed=[ElectionStatus.PUBLICITY], verb=_("published"))
    today = _today(today)
    if today < election.publicity_until:
        raise HonoursError(
            "publicity_running",
            _("Publicity runs until %(day)s.") % {"day": election.publicity_until.isoformat()},
        )
    if election.objections.filter(handled=False).exists():
        raise HonoursError("objections_open", _("Handle every objection before publishing."))
    election.published_on = today
    return _move(
        election,
        to=ElectionStatus.PUBLISHED,
        actor=actor,
        action="publish",
        fields=["published_on"],
    )


# ---- talent pool --------------------------------------------------------------------------


@transaction.atomic
def talent_add(
    *,
    community: Community,
    field: str,
    actor,
    resident: Resident | None = None,
    partner: Partner | None = None,
    skills: str = "",
    story: str = "",
    today: dt.date | None = None,
) -> TalentProfile:
    if not rules.can_manage(actor, community.pk):
        raise _forbidden()
    if resident is None and partner is None:
        raise HonoursError("invalid", _("Choose the resident or partner this profile is about."))
    if resident is not None and resident_community_id(resident) != community.pk:
        raise HonoursError("invalid", _("The person must live in this community."))
    if partner is not None and partner.community_id != community.pk:
        raise HonoursError("invalid", _("The person must be a partner of this community."))
    return TalentProfile.objects.create(
        community=community,
        name=(partner or resident).name,
        resident=resident or (partner.resident if partner else None),
        partner=partner,
        field=_text(field, what=_("the field"), limit=40),
        skills=_text(skills, what=_("the skills"), limit=200, required=False),
        story=_text(story, what=_("the story"), limit=4000, required=False),
        added_on=_today(today),
        added_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def talent_recommend(
    *, profile: TalentProfile, level: str, year: int, actor, note: str = ""
) -> Recommendation:
    """Record that the community recommended this person upward as 先进个人."""
    if not rules.can_manage(actor, profile.community_id):
        raise _forbidden()
    if level not in RecommendLevel.values:
        raise HonoursError("invalid", _("Choose the level: subdistrict, district or city."))
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise HonoursError("invalid", _("Give the year, for example 2026."))
    if Recommendation.objects.filter(profile=profile, level=level, year=year).exists():
        raise HonoursError("duplicate", _("Already recommended at this level this year."))
    return Recommendation.objects.create(
        profile=profile,
        level=level,
        year=year,
        note=_text(note, what=_("the note"), limit=200, required=False),
        recommended_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def recommendation_decide(*, recommendation: Recommendation, outcome: str, actor) -> Recommendation:
    if not rules.can_manage(actor, recommendation.profile.community_id):
        raise _forbidden()
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    if recommendation.outcome != RecommendOutcome.PENDING:
        raise HonoursError("bad_state", _("The outcome has already been recorded."))
    if outcome not in (RecommendOutcome.AWARDED, RecommendOutcome.NOT_AWARDED):
        raise HonoursError("invalid", _("Record whether the honour was awarded."))
    recommendation.outcome = outcome
    recommendation.save(update_fields=["outcome"])
    return recommendation


# ---- honour rolls -------------------------------------------------------------------------


def roll_rows(rule: HonourRule, start: dt.date, end: dt.date) -> list[dict]:
    """The ranking of ``rule`` over [start, end]: the top N people whose measure reaches the
    minimum. Hours are approved service minutes of activities in the period; points are the
    points *earned* in the period (earning journals not reversed) — never balances, so
    spending points in the shop does not move anyone on the roll."""
    if rule.metric == Metric.HOURS:
        totals = (
            ServiceRecord.objects.approved()
            .filter(activity__community=rule.community_id, activity__date__range=(start, end))
            .values("resident_id", "partner_id")
            .annotate(total=Sum("minutes"))
        )
        people = [
            (
                ("resident", row["resident_id"])
                if row["resident_id"]
                else ("partner", row["partner_id"]),
                round(row["total"] / 60, 1),
            )
            for row in totals
        ]
    else:
        tz = timezone.get_current_timezone()
        since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
        until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        totals = (
            Posting.objects.filter(
                account__community=rule.community_id,
                account__kind=AccountKind.MAIN,
                amount__gt=0,
                journal__kind=JournalKind.EARN,
                journal__reversed_by__isnull=True,
                journal__effective_at__gte=since,
                journal__effective_at__lt=until,
            )
            .values("account__resident_id", "account__partner_id")
            .annotate(total=Sum("amount"))
        )
        people = [
            (
                ("resident", row["account__resident_id"])
                if row["account__resident_id"]
                else ("partner", row["account__partner_id"]),
                int(row["total"]),
            )
            for row in totals
        ]
    people = [(who, value) for who, value in people if value >= rule.minimum]
    names = {
        "resident": dict(
            Resident.objects.filter(
                pk__in=[pk for (kind, pk), _v in people if kind == "resident"]
            ).values_list("pk", "name")
        ),
        "partner": dict(
            Partner.objects.filter(
                pk__in=[pk for (kind, pk), _v in people if kind == "partner"]
            ).values_list("pk", "name")
        ),
    }
    people.sort(key=lambda item: (-item[1], names[item[0][0]][item[0][1]], item[0][1]))
    return [
        {"rank": rank, "name": names[kind][pk], "kind": kind, "id": pk, "value": value}
        for rank, ((kind, pk), value) in enumerate(people[: rule.top_n], start=1)
    ]


@transaction.atomic
def rule_create(
    *, community: Community, name: str, period: str, metric: str, top_n: int, minimum: int, actor
) -> HonourRule:
    if not rules.can_manage(actor, community.pk):
        raise _forbidden()
    name = _text(name, what=_("the name"), limit=60)
    if period not in Period.values or metric not in Metric.values:
        raise HonoursError("invalid", _("Choose the period and what the roll measures."))
    if not isinstance(top_n, int) or not 1 <= top_n <= 200:
        raise HonoursError("invalid", _("A roll lists between 1 and 200 people."))
    if not isinstance(minimum, int) or minimum < 1:
        raise HonoursError("invalid", _("The minimum is a whole number of at least 1."))
    if HonourRule.objects.filter(community=community, name=name).exists():
        raise HonoursError("duplicate", _("A rule with this name already exists."))
    return HonourRule.objects.create(
        community=community, name=name, period=period, metric=metric, top_n=top_n, minimum=minimum
    )


@transaction.atomic
def roll_build(
    *, rule: HonourRule, day: dt.date, actor, now: dt.datetime | None = None
) -> HonourRoll:
    """A new draft roll of the period containing ``day``. Published rolls are never touched:
    building again makes another draft."""
    if not rules.can_manage(actor, rule.community_id):
        raise _forbidden()
    if not isinstance(day, dt.date):
        raise HonoursError("invalid", _("Give a day of the period."))
    start, end = period_bounds(rule.period, day)
    now = now or timezone.now()
    if start > timezone.localdate(now):
        raise HonoursError("invalid", _("This period has not started yet."))
    return HonourRoll.objects.create(
        rule=rule,
        community_id=rule.community_id,
        period_start=start,
        period_end=end,
        metric=rule.metric,
        rows=roll_rows(rule, start, end),
        built_at=now,
        built_by=actor if getattr(actor, "pk", None) else None,
    )


def _draft(roll: HonourRoll, actor, verb: str) -> HonourRoll:
    if not rules.can_manage(actor, roll.community_id):
        raise _forbidden()
    roll = HonourRoll.objects.select_for_update().get(pk=roll.pk)
    if roll.status != RollStatus.DRAFT:
        raise HonoursError(
            "frozen", _("A published roll is frozen: it cannot be %(verb)s.") % {"verb": verb}
        )
    return roll


@transaction.atomic
def roll_publish(*, roll: HonourRoll, actor, now: dt.datetime | None = None) -> HonourRoll:
    roll = _draft(roll, actor, _("published again"))
    if not roll.rows:
        raise HonoursError("empty", _("Nobody reached the minimum: there is nothing to publish."))
    if HonourRoll.objects.filter(
        rule=roll.rule_id, period_start=roll.period_start, status=RollStatus.PUBLISHED
    ).exists():
        raise HonoursError("duplicate", _("A roll of this period is already published."))
    roll.status = RollStatus.PUBLISHED
    roll.published_at = now or timezone.now()
    roll.published_by = actor if getattr(actor, "pk", None) else None
    roll.save(update_fields=["status", "published_at", "published_by"])
    return roll


@transaction.atomic
def roll_discard(*, roll: HonourRoll, actor) -> None:
    roll = _draft(roll, actor, _("deleted"))
    roll.delete()

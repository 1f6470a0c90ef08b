"""Scoped reads for honours, shared by the pages, the API and the overview section."""

from collections import Counter

from django.db.models import Count, Q, QuerySet

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.honours import rules
from gongzhi.honours.models import (
    Ballot,
    Candidate,
    Election,
    ElectionStatus,
    HonourRoll,
    Participation,
    Recommendation,
    ResidentVerification,
    RollStatus,
    Screening,
    TalentProfile,
)
from gongzhi.people.models import Resident


def election_list(user, *, place: Place | None = None) -> QuerySet:
    qs = (
        Election.objects.select_related("community")
        .annotate(
            n_candidates=Count("candidates", filter=Q(candidates__screening=Screening.ACCEPTED))
        )
        .order_by("-vote_from", "-id")
    )
    return narrow(rules.elections_visible(user, qs), place)


def ballot_candidates(election: Election) -> QuerySet:
    return election.candidates.filter(screening=Screening.ACCEPTED).order_by("category", "id")


def verified_residents(community_id: int) -> QuerySet:
    return ResidentVerification.objects.filter(
        resident__household__unit__building__compound__community_id=community_id
    )


def is_verified(resident: Resident) -> bool:
    return ResidentVerification.objects.filter(resident=resident).exists()


def has_voted(election: Election, resident: Resident) -> bool:
    return Participation.objects.filter(election=election, resident=resident).exists()


def tally(election: Election) -> Counter:
    """Votes per candidate id, counted from the ballot box."""
    counts: Counter = Counter()
    for choices in Ballot.objects.filter(election=election).values_list("choices", flat=True):
        counts.update(choices)
    return counts


def turnout(election: Election) -> dict:
    """Voters ÷ verified residents of the community (frozen when voting closed)."""
    voters = Participation.objects.filter(election=election).count()
    eligible = election.eligible
    if eligible is None:
        eligible = verified_residents(election.community_id).count()
    rate = round(voters / eligible, 3) if eligible else None
    return {"voters": voters, "eligible": eligible, "rate": rate}


def results(election: Election) -> dict:
    """Votes per candidate (stored when voting closed), scores, ranks and turnout."""
    candidates = list(ballot_candidates(election).order_by("rank", "-votes", "id"))
    return {"candidates": candidates, "turnout": turnout(election)}


def roll_list(user, *, place: Place | None = None, status: str = "") -> QuerySet:
    qs = HonourRoll.objects.select_related("rule", "community")
    qs = narrow(rules.rolls_visible(user, qs), place)
    return qs.filter(status=status) if status else qs


def talent_list(user, *, place: Place | None = None, text: str = "") -> QuerySet:
    qs = (
        TalentProfile.objects.select_related("community")
        .annotate(n_recommended=Count("recommendations"))
        .order_by("field", "name", "id")
    )
    qs = narrow(rules.talent_visible(user, qs), place)
    if text:
        qs = qs.filter(Q(name__contains=text) | Q(field__contains=text) | Q(skills__contains=text))
    return qs


def recommendation_list(user, *, place: Place | None = None) -> QuerySet:
    qs = Recommendation.objects.select_related("profile")
    if not rules.talent_visible(user, TalentProfile.objects.all()).exists():
        return qs.none()
    return narrow(
        qs.filter(profile__in=rules.talent_visible(user, TalentProfile.objects.all())), place
    )


def verification_list(user, *, place: Place | None = None) -> QuerySet:
    qs = ResidentVerification.objects.select_related("resident", "verified_by")
    return narrow(rules.verifications_visible(user, qs), place)


def candidate_of(election: Election, pk: int) -> Candidate | None:
    return election.candidates.filter(pk=pk).first()


def honours_section(place: Place | None) -> dict:
    """``honours`` in ``gongzhi overview``: published rolls, elections by status, turnout of
    the latest published election, talent profiles and upward recommendations."""
    elections = narrow(Election.objects.all(), place)
    by_status = elections.aggregate(
        **{s.value: Count("id", filter=Q(status=s)) for s in ElectionStatus}
    )
    latest = elections.filter(status=ElectionStatus.PUBLISHED).order_by("-published_on").first()
    return {
        "honours": {
            "rolls_published": narrow(
                HonourRoll.objects.filter(status=RollStatus.PUBLISHED), place
            ).count(),
            "elections": sum(by_status.values()),
            "elections_by_status": by_status,
            "latest_turnout": turnout(latest)["rate"] if latest is not None else None,
            "talent_profiles": narrow(TalentProfile.objects.all(), place).count(),
            "recommended_upward": narrow(Recommendation.objects.all(), place).count(),
        }
    }

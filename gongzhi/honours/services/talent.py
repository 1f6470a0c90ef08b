"""The talent pool (人才库): profiles of residents and partners, and the community's
recommendations of them upward (先进个人)."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts.scope import Actor
from gongzhi.core.services import acting_user, locked
from gongzhi.honours import rules
from gongzhi.honours.models import (
    Recommendation,
    RecommendLevel,
    RecommendOutcome,
    TalentProfile,
)
from gongzhi.honours.services.common import (
    HonoursError,
    check_belongs,
    checked_text,
    forbidden,
    today_or,
)
from gongzhi.partners.models import Partner
from gongzhi.people.models import Resident
from gongzhi.places.models import Community


@transaction.atomic
def talent_add(
    *,
    community: Community,
    field: str,
    actor: Actor,
    resident: Resident | None = None,
    partner: Partner | None = None,
    skills: str = "",
    story: str = "",
    today: dt.date | None = None,
) -> TalentProfile:
    if not rules.can_manage(actor, community.pk):
        raise forbidden()
    person = partner or resident
    if person is None:
        raise HonoursError("invalid", _("Choose the resident or partner this profile is about."))
    check_belongs(
        community.pk,
        resident=resident,
        partner=partner,
        lives=_("The person must live in this community."),
        partner_of=_("The person must be a partner of this community."),
    )
    return TalentProfile.objects.create(
        community=community,
        name=person.name,
        resident=resident or (partner.resident if partner else None),
        partner=partner,
        field=checked_text(field, what=_("the field"), limit=40),
        skills=checked_text(skills, what=_("the skills"), limit=200, required=False),
        story=checked_text(story, what=_("the story"), limit=4000, required=False),
        added_on=today_or(today),
        added_by=acting_user(actor),
    )


@transaction.atomic
def talent_recommend(
    *, profile: TalentProfile, level: str, year: int, actor: Actor, note: str = ""
) -> Recommendation:
    """Record that the community recommended this person upward as 先进个人."""
    if not rules.can_manage(actor, profile.community_id):
        raise forbidden()
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
        note=checked_text(note, what=_("the note"), limit=200, required=False),
        recommended_by=acting_user(actor),
    )


@transaction.atomic
def recommendation_decide(
    *, recommendation: Recommendation, outcome: str, actor: Actor
) -> Recommendation:
    recommendation = locked(recommendation)
    if not rules.can_manage(actor, recommendation.profile.community_id):
        raise forbidden()
    if recommendation.outcome != RecommendOutcome.PENDING:
        raise HonoursError("bad_state", _("The outcome has already been recorded."))
    if outcome not in (RecommendOutcome.AWARDED, RecommendOutcome.NOT_AWARDED):
        raise HonoursError("invalid", _("Record whether the honour was awarded."))
    recommendation.outcome = outcome
    recommendation.save(update_fields=["outcome"])
    return recommendation

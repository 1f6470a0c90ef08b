"""Writing to the experience library. Errors are ``ExperienceError`` (stable code + translated
message); a refused write changes nothing."""

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.services import ServiceError, acting_user
from gongzhi.core.text import clean_text
from gongzhi.experiences import rules
from gongzhi.experiences.models import Experience, ExperienceTag

MAX_TAGS = 8
_TAG_SPLIT = re.compile(r"[,，、;；\s#]+")


class ExperienceError(ServiceError):
    """A refused write (``core.services.ServiceError``): 403 ``forbidden``, 400 the rest."""


def parse_tags(text) -> list[str]:
    """Tags from "垃圾分类，楼栋自治" or a list; trimmed, unique, in order."""
    parts = _TAG_SPLIT.split(clean_text(text)) if isinstance(text, str) else list(text or [])
    tags = list(dict.fromkeys(clean_text(p).strip() for p in parts if p and clean_text(p).strip()))
    if len(tags) > MAX_TAGS:
        raise ExperienceError("invalid_tags", _("At most %(n)d tags.") % {"n": MAX_TAGS})
    if any(len(t) > 20 for t in tags):
        raise ExperienceError("invalid_tags", _("A tag is at most 20 characters."))
    return tags


def _linked_community(obj) -> int | None:
    if obj is None:
        return None
    return obj.community_id


@transaction.atomic
def experience_create(
    *,
    actor,
    title: str,
    body: str,
    tags="",
    community=None,
    compound=None,
    building=None,
    matter=None,
    meeting=None,
    project=None,
    mediation_case=None,
    contributor: str = "",
    now=None,
) -> Experience:
    if building is not None:
        compound = building.compound
    if compound is not None:
        community = compound.community
    if community is None:
        raise ExperienceError("unknown_place", _("Choose the place the experience comes from."))
    if not rules.can_write(actor, community.pk):
        raise ExperienceError("forbidden", _("You may not add experiences here."))
    title, body = clean_text(title or "").strip(), clean_text(body or "").strip()
    if not title or len(title) > 100:
        raise ExperienceError("invalid_title", _("Give a title of at most 100 characters."))
    if not body or len(body) > 4000:
        raise ExperienceError("invalid_body", _("Tell the experience in at most 4000 characters."))
    tag_names = parse_tags(tags)
    for linked in (matter, meeting, project, mediation_case):
        if linked is not None and _linked_community(linked) != community.pk:
            raise ExperienceError("invalid_source", _("A linked record is of another community."))
    entry = Experience.objects.create(
        community=community,
        compound=compound,
        building=building,
        title=title,
        body=body,
        matter=matter,
        meeting=meeting,
        project=project,
        mediation_case=mediation_case,
        author=acting_user(actor),
        contributor=clean_text(contributor or "").strip()[:40],
        created_at=now or timezone.now(),
    )
    if tag_names:
        existing = {t.name: t for t in ExperienceTag.objects.filter(name__in=tag_names)}
        missing = [ExperienceTag(name=n) for n in tag_names if n not in existing]
        ExperienceTag.objects.bulk_create(missing, ignore_conflicts=True)
        entry.tags.set(ExperienceTag.objects.filter(name__in=tag_names))
    return entry

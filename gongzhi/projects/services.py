"""Every write to a micro-project or a wish: one function per transition (see docs/projects.md).

Each transition locks the row (``flow.locked``), checks permission on the fresh row, then the
allowed source stages, saves with ``update_fields`` and appends a ``ProjectEvent``
(``core.services.Transitions`` with ``state="stage"``). Errors are ``ProjectError`` with a
stable ``code`` (used by the API) and a translated message; a refused write changes nothing.

Stages::

    proposed → pre_evaluation → approved → in_progress → completed → post_evaluation → closed
                              ↘ rejected
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.core.services import ServiceError, Transitions, locked, now_or
from gongzhi.core.text import clean_text
from gongzhi.matters.services import validate_photo
from gongzhi.partners.models import Organisation, OrganisationKind
from gongzhi.projects import rules
from gongzhi.projects.models import (
    MAX_TEXT,
    CoBuilding,
    Kind,
    PreVote,
    Project,
    ProjectEvent,
    Rating,
    Source,
    Stage,
    SupervisionLog,
    SupervisionPhoto,
    VoteChoice,
    Wish,
    WishCategory,
    WishStatus,
)

MAX_PHOTOS = 6


class ProjectError(ServiceError):
    """A refused write. ``code`` is stable for API clients; ``message`` is translated."""

    statuses = {
        "forbidden": 403,
        "not_in_scope": 403,
        "bad_stage": 409,
        "voting_closed": 409,
        "rating_closed": 409,
        "already_voted": 409,
        "already_rated": 409,
        "already_recorded": 409,
    }


class StageTransitions(Transitions[Project]):
    """A project's stages. A move from the wrong stage answers ``bad_stage`` (the code the API
    has always documented for projects), not the toolkit's ``bad_state``."""

    def bad_state(self, obj: Project, verb: str = "") -> ServiceError:
        return self.error("bad_stage", self.bad_state_message % {"stage": self.state_label(obj)})

    def move(self, obj: Project, *, verb: str = "", **kwargs) -> Project:
        return super().move(obj, verb=verb, **kwargs)


flow = StageTransitions(
    Project,
    ProjectEvent,
    "project",
    error=ProjectError,
    bad_state=gettext_lazy("A project that is “%(stage)s” cannot do this."),
    state="stage",
)


def _forbidden() -> ProjectError:
    return ProjectError("forbidden", _("You may not do this with this project."))


def _text(value: str, *, required: str | None = None, limit: int = MAX_TEXT) -> str:
    """Free text as typed: without control characters, stripped, within ``limit``."""
    value = clean_text(value or "").strip()
    if required and not value:
        raise ProjectError("invalid_text", required)
    if len(value) > limit:
        raise ProjectError(
            "invalid_text", _("The text is too long: at most %(max)d characters.") % {"max": limit}
        )
    return value


def _manage(actor: User, project) -> Project:
    """The project's row, locked, if ``actor`` runs its stages (checked on the fresh row)."""
    project = flow.locked(project)
    if not rules.is_manager(actor, project):
        raise _forbidden()
    return project


def _place(community=None, compound=None, building=None) -> dict:
    if building is not None:
        compound = building.compound
    if compound is not None:
        community = compound.community
    if community is None:
        raise ProjectError("unknown_place", _("Choose the place the project concerns."))
    return {"community": community, "compound": compound, "building": building}


# ---- proposal and pre-evaluation ----------------------------------------------------------


@transaction.atomic
def project_propose(
    *,
    actor: User,
    kind: str,
    title: str,
    description: str = "",
    community=None,
    compound=None,
    building=None,
    budget=None,
    planner=None,
    matter=None,
    decision=None,
    wish=None,
    now: dt.datetime | None = None,
) -> Project:
    """Propose a project: from a matter, a meeting decision, a wish, or by staff."""
    place = _place(community, compound, building)
    if not rules.can_propose(actor, place["community"].pk):
        raise _forbidden()
    if kind not in Kind.values:
        raise ProjectError("invalid_kind", _("Choose the kind of project."))
    title = _text(title, required=_("Give the project a title."), limit=100)
    description = _text(description)
    if budget not in (None, ""):
        try:
            budget = Decimal(str(budget))
        except InvalidOperation:
            raise ProjectError("invalid_budget", _("The budget must be a number.")) from None
        if budget < 0 or budget >= Decimal("1e10"):
            raise ProjectError("invalid_budget", _("The budget must be between 0 and 10 billion."))
    else:
        budget = None
    if planner is not None and planner.community_id != place["community"].pk:
        raise ProjectError("invalid_planner", _("The planner must serve the same community."))
    sources = [s for s, v in ((Source.MATTER, matter), (Source.DECISION, decision)) if v]
    if wish is not None:
        sources.append(Source.WISH)
    if len(sources) > 1:
        raise ProjectError("invalid_source", _("A project comes from one source only."))
    for linked in (matter, wish):
        if linked is not None and linked.community_id != place["community"].pk:
            raise ProjectError("invalid_source", _("The source belongs to another community."))
    if decision is not None and decision.item.community_id != place["community"].pk:
        raise ProjectError("invalid_source", _("The source belongs to another community."))
    project = Project.objects.create(
        kind=kind,
        title=title,
        description=description,
        budget=budget,
        planner=planner,
        source=sources[0] if sources else Source.STAFF,
        matter=matter,
        decision=decision,
        wish=wish,
        proposed_at=now_or(now),
        proposed_by=actor,
        **place,
    )
    flow.record(project, actor=actor, action="propose", now=now)
    return project


@transaction.atomic
def project_open_pre_evaluation(*, actor: User, project: Project, now=None) -> Project:
    project = _manage(actor, project)
    return flow.move(
        project,
        to=Stage.PRE_EVALUATION,
        actor=actor,
        action="open_pre_evaluation",
        allowed={Stage.PROPOSED},
        now=now,
    )


@transaction.atomic
def project_vote(
    *, actor: User, project: Project, choice: str, comment: str = "", now=None
) -> PreVote:
    """A resident of the scope supports or opposes; only while the pre-evaluation is open."""
    project = flow.locked(project)
    resident = rules.voter(actor, project)
    if resident is None:
        raise ProjectError(
            "not_in_scope", _("Only residents who live where the project is may vote on it.")
        )
    if project.stage != Stage.PRE_EVALUATION:
        raise ProjectError(
            "voting_closed",
            _("The pre-evaluation of this project is not open: votes are no longer taken.")
            if project.stage != Stage.PROPOSED
            else _("The pre-evaluation of this project has not opened yet."),
        )
    if choice not in VoteChoice.values:
        raise ProjectError("invalid_vote", _("Choose support or oppose."))
    comment = _text(comment, limit=500)
    if PreVote.objects.filter(project=project, resident=resident).exists():
        raise ProjectError("already_voted", _("You have already voted on this project."))
    try:
        with transaction.atomic():
            return PreVote.objects.create(
                project=project, resident=resident, choice=choice, comment=comment, at=now_or(now)
            )
    except IntegrityError:
        raise ProjectError("already_voted", _("You have already voted on this project.")) from None


def tally(project: Project) -> dict:
    counts = project.votes.aggregate(
        support=Count("id", filter=Q(choice=VoteChoice.SUPPORT)),
        oppose=Count("id", filter=Q(choice=VoteChoice.OPPOSE)),
    )
    return {"support": counts["support"], "oppose": counts["oppose"]}


@transaction.atomic
def project_decide(
    *, actor: User, project: Project, approve: bool, reasoning: str, now=None
) -> Project:
    """Close the pre-evaluation: record its tally and staff's reasoning; approve or reject."""
    project = _manage(actor, project)
    reasoning = _text(reasoning, required=_("Write the reasoning of the decision."))
    counts = tally(project)
    project.votes_support = counts["support"]
    project.votes_oppose = counts["oppose"]
    project.decision_note = reasoning
    project.decided_at = now_or(now)
    project.decided_by = actor
    return flow.move(
        project,
        to=Stage.APPROVED if approve else Stage.REJECTED,
        actor=actor,
        action="approve" if approve else "reject",
        allowed={Stage.PRE_EVALUATION},
        now=now,
        note=reasoning,
        fields=["votes_support", "votes_oppose", "decision_note", "decided_at", "decided_by"],
    )


# ---- work: supervision and co-building ----------------------------------------------------


@transaction.atomic
def project_start(*, actor: User, project: Project, started_on: dt.date | None = None, now=None):
    project = flow.locked(project)
    if not rules.can_supervise(actor, project):
        raise _forbidden()
    project.started_on = started_on or timezone.localdate(now_or(now))
    return flow.move(
        project,
        to=Stage.IN_PROGRESS,
        actor=actor,
        action="start",
        allowed={Stage.APPROVED},
        now=now,
        fields=["started_on"],
    )


def _progress(value) -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ProjectError("invalid_progress", _("Progress must be a whole number.")) from None
    if not 0 <= value <= 100:
        raise ProjectError("invalid_progress", _("Progress must be between 0 and 100 %."))
    return value


@transaction.atomic
def project_log_supervision(
    *,
    actor: User,
    project: Project,
    inspected_on: dt.date,
    progress,
    problems: str = "",
    note: str = "",
    photos=(),
    now=None,
) -> SupervisionLog:
    """The planner's inspection: date, progress %, problems found and up to 6 photos."""
    project = flow.locked(project)
    if not rules.can_supervise(actor, project):
        raise _forbidden()
    if project.stage != Stage.IN_PROGRESS:
        raise ProjectError(
            "bad_stage", _("Supervision is logged while the project is in progress.")
        )
    progress = _progress(progress)
    if not isinstance(inspected_on, dt.date):
        raise ProjectError("invalid_date", _("Give the inspection date."))
    if project.started_on and inspected_on < project.started_on:
        raise ProjectError("invalid_date", _("The inspection cannot be before the work started."))
    if inspected_on > timezone.localdate(now_or(now)):
        raise ProjectError("invalid_date", _("The inspection date cannot be in the future."))
    problems, note = _text(problems), _text(note)
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise ProjectError(
            "invalid_photo", _("At most %(n)d photos per inspection.") % {"n": MAX_PHOTOS}
        )
    for upload in photos:
        try:
            validate_photo(upload)
        except ValidationError as exc:
            raise ProjectError("invalid_photo", exc.messages[0]) from exc
    log = SupervisionLog.objects.create(
        project=project,
        inspected_on=inspected_on,
        progress=progress,
        problems=problems,
        note=note,
        author=actor,
        created_at=now_or(now),
    )
    for upload in photos:
        SupervisionPhoto.objects.create(
            log=log, image=upload, content_type=upload.content_type or "", size=upload.size
        )
    project.progress = progress
    project.save(update_fields=["progress"])
    flow.record(
        project,
        actor=actor,
        action="supervise",
        from_status=project.stage,
        note=problems,
        data={"log": log.pk, "progress": progress},
        now=now,
    )
    return log


def co_building_source(project: Project) -> str:
    """How the project names itself to the volunteering app's service records."""
    return f"project:{project.pk}"


def co_building_organiser(project: Project):
    """Who organises the labour on the volunteering side: the community's residents' committee
    (or, failing that, its first organisation)."""
    orgs = Organisation.objects.filter(community=project.community_id)
    return orgs.filter(kind=OrganisationKind.RESIDENTS_COMMITTEE).first() or orgs.first()


@transaction.atomic
def project_record_co_building(
    *, actor: User, project: Project, participants, minutes, date: dt.date, note: str = "", now=None
) -> CoBuilding:
    """Residents' and partners' labour on the project: service records that earn points.

    ``participants`` are ``Partner`` or ``Resident`` rows. The confirmed service records (and
    their points claims) are written by ``gongzhi.volunteering.services.co_building_record``,
    organised by the community's residents' committee; this keeps a line on the project.
    Community staff record it (the volunteering side lets only the organising side write).
    """
    from gongzhi.volunteering.services import VolunteeringError, co_building_record

    project = _manage(actor, project)
    if project.stage not in {Stage.IN_PROGRESS, Stage.COMPLETED}:
        raise ProjectError(
            "bad_stage", _("Co-building labour is recorded while work is under way.")
        )
    participants = list(participants)
    if not participants:
        raise ProjectError("invalid_participants", _("Choose who took part."))
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        minutes = 0
    if not 1 <= minutes <= 24 * 60:
        raise ProjectError("invalid_minutes", _("Minutes must be between 1 and 1440."))
    if not isinstance(date, dt.date) or date > timezone.localdate(now_or(now)):
        raise ProjectError("invalid_date", _("The date cannot be in the future."))
    organiser = co_building_organiser(project)
    if organiser is None:
        raise ProjectError(
            "no_organiser", _("The community has no organisation to organise the labour.")
        )
    try:
        co_building_record(
            project_source=co_building_source(project),
            participants=participants,
            minutes=minutes,
            organiser=organiser,
            actor=actor,
            date=date,
            title=_("Co-building: %(title)s") % {"title": project.title},
        )
    except VolunteeringError as exc:
        raise ProjectError(exc.code, exc.message) from exc
    row = CoBuilding.objects.create(
        project=project,
        date=date,
        minutes=minutes,
        participants=len(participants),
        note=_text(note, limit=200),
        recorded_by=actor,
    )
    flow.record(
        project,
        actor=actor,
        action="co_building",
        from_status=project.stage,
        data={"co_building": row.pk, "minutes": minutes, "participants": len(participants)},
        now=now,
    )
    return row


@transaction.atomic
def project_complete(
    *, actor: User, project: Project, completed_on: dt.date | None = None, now=None
):
    project = _manage(actor, project)
    project.completed_on = completed_on or timezone.localdate(now_or(now))
    project.progress = 100
    return flow.move(
        project,
        to=Stage.COMPLETED,
        actor=actor,
        action="complete",
        allowed={Stage.IN_PROGRESS},
        now=now,
        fields=["completed_on", "progress"],
    )


# ---- post-evaluation ----------------------------------------------------------------------


@transaction.atomic
def project_open_post_evaluation(*, actor: User, project: Project, now=None) -> Project:
    project = _manage(actor, project)
    return flow.move(
        project,
        to=Stage.POST_EVALUATION,
        actor=actor,
        action="open_post_evaluation",
        allowed={Stage.COMPLETED},
        now=now,
    )


def _score(value) -> int:
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = 0
    if str(value).strip() != str(score) or not 1 <= score <= 5:
        raise ProjectError("invalid_rating", _("The rating must be a whole number from 1 to 5."))
    return score


@transaction.atomic
def project_rate(*, actor: User, project: Project, score, comment: str = "", now=None) -> Rating:
    """A resident of the scope rates the finished project 1–5, once."""
    project = flow.locked(project)
    resident = rules.voter(actor, project)
    if resident is None:
        raise ProjectError(
            "not_in_scope", _("Only residents who live where the project is may rate it.")
        )
    if project.stage != Stage.POST_EVALUATION:
        raise ProjectError("rating_closed", _("Ratings are taken only during the post-evaluation."))
    score = _score(score)
    comment = _text(comment, limit=500)
    if Rating.objects.filter(project=project, resident=resident).exists():
        raise ProjectError("already_rated", _("You have already rated this project."))
    try:
        with transaction.atomic():
            return Rating.objects.create(
                project=project, resident=resident, score=score, comment=comment, at=now_or(now)
            )
    except IntegrityError:
        raise ProjectError("already_rated", _("You have already rated this project.")) from None


def rating_summary(ratings) -> dict:
    """Count, average and satisfaction (share of ratings of 4 or 5) of a ratings queryset."""
    agg = ratings.aggregate(
        n=Count("id"), avg=Avg("score"), good=Count("id", filter=Q(score__gte=4))
    )
    n = agg["n"]
    return {
        "count": n,
        "average": round(Decimal(str(agg["avg"])), 2) if n else None,
        "satisfaction": round(Decimal(agg["good"]) / n, 3) if n else None,
    }


@transaction.atomic
def project_close(*, actor: User, project: Project, now=None) -> Project:
    """End the post-evaluation and freeze its result on the project."""
    project = _manage(actor, project)
    summary = rating_summary(project.ratings.all())
    project.rating_count = summary["count"]
    project.rating_average = summary["average"]
    project.satisfaction = summary["satisfaction"]
    project.closed_at = now_or(now)
    return flow.move(
        project,
        to=Stage.CLOSED,
        actor=actor,
        action="close",
        allowed={Stage.POST_EVALUATION},
        now=now,
        fields=["rating_count", "rating_average", "satisfaction", "closed_at"],
    )


# ---- the wish board -------------------------------------------------------------------------


def _wish_state(wish: Wish, allowed: set) -> None:
    if wish.status not in allowed:
        raise ProjectError(
            "bad_stage",
            _("A wish that is “%(status)s” cannot do this.")
            % {"status": wish.get_status_display()},
        )


@transaction.atomic
def wish_post(*, actor: User, text: str, category: str, now=None) -> Wish:
    resident = rules.resident_of(actor)
    if resident is None:
        raise ProjectError("forbidden", _("Only residents post wishes."))
    text = _text(text, required=_("Write your wish."), limit=500)
    if category not in WishCategory.values:
        raise ProjectError("invalid_category", _("Choose a category."))
    building = resident.household.unit.building
    return Wish.objects.create(
        resident=resident,
        text=text,
        category=category,
        posted_at=now_or(now),
        community=building.compound.community,
        compound=building.compound,
        building=building,
    )


@transaction.atomic
def wish_claim(*, actor: User, wish: Wish, now=None) -> Wish:
    wish = locked(wish)
    partner = rules.partner_of(actor)
    if partner is None or partner.community_id != wish.community_id:
        raise ProjectError("forbidden", _("Only partners of the community claim wishes."))
    _wish_state(wish, {WishStatus.OPEN})
    wish.status, wish.claimed_by, wish.claimed_at = WishStatus.CLAIMED, partner, now_or(now)
    wish.save(update_fields=["status", "claimed_by", "claimed_at"])
    return wish


@transaction.atomic
def wish_fulfil(*, actor: User, wish: Wish, note: str, photo=None, now=None) -> Wish:
    wish = locked(wish)
    partner = rules.partner_of(actor)
    if partner is None or partner.pk != wish.claimed_by_id:
        raise ProjectError("forbidden", _("Only the partner who claimed the wish fulfils it."))
    _wish_state(wish, {WishStatus.CLAIMED})
    note = _text(note, required=_("Say how the wish was fulfilled."), limit=1000)
    if photo is not None:
        try:
            validate_photo(photo)
        except ValidationError as exc:
            raise ProjectError("invalid_photo", exc.messages[0]) from exc
        wish.fulfil_photo = photo
    wish.status, wish.fulfil_note, wish.fulfilled_at = WishStatus.FULFILLED, note, now_or(now)
    wish.save(update_fields=["status", "fulfil_note", "fulfilled_at", "fulfil_photo"])
    return wish


@transaction.atomic
def wish_confirm(*, actor: User, wish: Wish, now=None) -> Wish:
    wish = locked(wish)
    resident = rules.resident_of(actor)
    if resident is None or resident.pk != wish.resident_id:
        raise ProjectError("forbidden", _("Only the resident who made the wish confirms it."))
    _wish_state(wish, {WishStatus.FULFILLED})
    wish.status, wish.confirmed_at = WishStatus.CONFIRMED, now_or(now)
    wish.save(update_fields=["status", "confirmed_at"])
    return wish


@transaction.atomic
def wish_withdraw(*, actor: User, wish: Wish, now=None) -> Wish:
    wish = locked(wish)
    resident = rules.resident_of(actor)
    if not (
        (resident is not None and resident.pk == wish.resident_id) or rules.is_manager(actor, wish)
    ):
        raise ProjectError("forbidden", _("You may not withdraw this wish."))
    _wish_state(wish, {WishStatus.OPEN, WishStatus.CLAIMED})
    wish.status = WishStatus.WITHDRAWN
    wish.save(update_fields=["status"])
    return wish


@transaction.atomic
def wish_to_project(*, actor: User, wish: Wish, title: str = "", now=None) -> Project:
    """Record a fulfilled (or confirmed) wish as a completed 微心愿 project, ready to be rated."""
    wish = locked(wish)
    if not rules.is_manager(actor, wish):
        raise _forbidden()
    _wish_state(wish, {WishStatus.FULFILLED, WishStatus.CONFIRMED})
    if Project.objects.filter(wish=wish).exists():
        raise ProjectError("already_recorded", _("This wish is already recorded as a project."))
    project = project_propose(
        actor=actor,
        kind=Kind.MICRO_WISH,
        title=title or wish.text[:100],
        description=wish.fulfil_note,
        building=wish.building,
        compound=wish.compound,
        community=wish.community,
        wish=wish,
        now=now,
    )
    done_on = timezone.localdate(wish.fulfilled_at)
    project.started_on = timezone.localdate(wish.claimed_at or wish.fulfilled_at)
    project.completed_on = done_on
    project.progress = 100
    return flow.move(
        project,
        to=Stage.COMPLETED,
        actor=actor,
        action="from_wish",
        allowed={Stage.PROPOSED},
        now=now,
        note=_("A fulfilled wish, recorded as a project."),
        fields=["started_on", "completed_on", "progress"],
    )

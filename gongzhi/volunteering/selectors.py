"""Scoped reads of volunteer service, shared by pages, API and exports (scope from ``rules``)."""

from django.db.models import Count, Q, QuerySet, Sum

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place
from gongzhi.volunteering import rules
from gongzhi.volunteering.models import (
    Activity,
    ClaimStatus,
    PointsClaim,
    RecordStatus,
    ServiceRecord,
    StarAward,
    StarStatus,
    person_q,
)


def activity_list(
    user, *, place: Place | None = None, kind: str = "", q: str = ""
) -> QuerySet[Activity]:
    qs = rules.activities_visible(user, Activity.objects.all())
    qs = narrow(qs, place)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.select_related("community", "organiser_team", "organiser_org").annotate(
        participants=Count("records", filter=~Q(records__status=RecordStatus.REVOKED)),
        minutes=Sum("records__minutes", filter=Q(records__status=RecordStatus.APPROVED)),
    )


def record_list(
    user, *, place: Place | None = None, status: str = "", q: str = ""
) -> QuerySet[ServiceRecord]:
    qs = rules.records_visible(user, ServiceRecord.objects.all())
    qs = narrow(qs, place)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(resident__name__icontains=q)
            | Q(partner__name__icontains=q)
            | Q(activity__title__icontains=q)
        )
    return qs.select_related("activity__community", "resident", "partner")


def claim_list(
    user, *, place: Place | None = None, status: str = "", q: str = ""
) -> QuerySet[PointsClaim]:
    qs = rules.records_visible(user, PointsClaim.objects.all(), prefix="record__")
    # Claims in publicity (公示) are public to everyone who sees the activity.
    public = rules.activities_visible(user, PointsClaim.objects.all()).filter(
        status__in=(ClaimStatus.PUBLICISED, ClaimStatus.OBJECTED)
    )
    qs = (qs | public).distinct()
    qs = narrow(qs, place)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(record__resident__name__icontains=q)
            | Q(record__partner__name__icontains=q)
            | Q(record__activity__title__icontains=q)
        )
    return qs.select_related(
        "record__activity__community", "record__resident", "record__partner", "rule"
    )


def person_records(person) -> QuerySet[ServiceRecord]:
    return (
        ServiceRecord.objects.filter(person_q(person))
        .select_related(
            "activity__community", "activity__organiser_team", "activity__organiser_org"
        )
        .order_by("-activity__date", "-id")
    )


def service_summary(person) -> dict:
    """Approved hours, pending hours and the star level of a person (from minutes only)."""
    records = ServiceRecord.objects.filter(person_q(person))
    sums = records.aggregate(
        approved=Sum("minutes", filter=Q(status=RecordStatus.APPROVED)),
        pending=Sum(
            "minutes",
            filter=Q(
                status__in=(RecordStatus.CLAIMED, RecordStatus.CONFIRMED, RecordStatus.PUBLICISED)
            ),
        ),
        activities=Count("id", filter=Q(status=RecordStatus.APPROVED)),
    )
    awards = StarAward.objects.filter(person_q(person)).exclude(status=StarStatus.WITHDRAWN)
    awarded = awards.filter(status=StarStatus.AWARDED).order_by("-level").first()
    publicised = awards.filter(status=StarStatus.PUBLICISED).order_by("-level").first()
    approved = sums["approved"] or 0
    return {
        "approved_minutes": approved,
        "approved_hours": round(approved / 60, 1),
        "pending_hours": round((sums["pending"] or 0) / 60, 1),
        "activities": sums["activities"],
        "star": awarded.level if awarded else 0,
        "star_publicised": publicised,
    }


def star_list(user, *, place: Place | None = None) -> QuerySet[StarAward]:
    """Star awards: public once awarded (an honour), in publicity too (公示)."""
    qs = rules.activities_visible(user, StarAward.objects.exclude(status=StarStatus.WITHDRAWN))
    return narrow(qs, place).select_related("resident", "partner", "scheme__community")


def service_hours_section(place: Place | None) -> dict:
    """``service_hours``: total approved hours served in the community (a number, one
    decimal); approved minutes only, never points."""
    minutes = narrow(ServiceRecord.objects.approved(), place).aggregate(n=Sum("minutes"))["n"] or 0
    return {"service_hours": round(minutes / 60, 1)}

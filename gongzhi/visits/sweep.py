"""The care step of ``gongzhi sweep``: missed care visits escalate to the community's staff.

A care visit is *missed* when it is more than ``ESCALATE_AFTER_DAYS`` days past its due day:
the assigned visitors have had it at the top of their to-do since the due day, and the staff
hear of it once. ``escalated_due_on`` remembers the due day that was reported, under the row
lock, so a second run (or two at once) sends nothing; after the next visit the subject has a
new due day and a later miss is reported again.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.models import UserRole
from gongzhi.notifications.services import notify_users
from gongzhi.visits.models import CareSubject

ESCALATE_AFTER_DAYS = 3


def missed(today: dt.date):
    """Active subjects whose visit is missed and not yet reported for this due day."""
    return CareSubject.objects.active().filter(
        Q(escalated_due_on__isnull=True) | Q(escalated_due_on__lt=F("next_due_on")),
        next_due_on__lt=today - dt.timedelta(days=ESCALATE_AFTER_DAYS),
    )


def community_staff(community_id: int):
    return get_user_model().objects.filter(
        Q(profile__community_id=community_id) | Q(profile__compound__community_id=community_id),
        profile__role=UserRole.COMMUNITY_STAFF,
        is_active=True,
    )


def _escalate(subject_id: int, today: dt.date) -> bool:
    with transaction.atomic():
        subject = (
            missed(today)
            .select_for_update()
            .filter(pk=subject_id)
            .select_related("resident__household__unit__building__compound")
            .first()
        )
        if subject is None:
            return False
        subject.escalated_due_on = subject.next_due_on
        subject.save(update_fields=["escalated_due_on"])
        household = subject.resident.household
        # The title names the household, never the reason: notifications are also sent by SMS.
        notify_users(
            users=community_staff(household.unit.building.compound.community_id),
            kind="care_missed",
            title=_("Care visit missed: %(place)s, due %(day)s")
            % {"place": household.label, "day": subject.next_due_on.isoformat()},
            link=reverse("visits:care"),
        )
        return True


def escalate_missed_care(now: dt.datetime) -> dict[str, int]:
    today = timezone.localdate(now)
    ids = list(missed(today).values_list("pk", flat=True))
    return {"care_visits_missed": sum(_escalate(pk, today) for pk in ids)}

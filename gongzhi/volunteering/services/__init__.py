"""Every write to volunteer service: one function per transition (docs/volunteering.md).

Record:  claimed ──confirm──► confirmed ──claim approved──► publicised ──claim issued──► approved
                                 │ (amend: audited, minutes only)      └─ objection upheld ─► rejected
                                 └──────────────── revoke (any fixed state) ───────────────► revoked
Claim:   applied ──approve (审核)──► publicised (公示) ──issue──► issued
            │                          │   └─object──► objected ──dismiss──► publicised
            └──reject──► rejected ◄────┴──────────────── uphold ─────┘

Each transition locks its row, checks permission ("谁组织谁记录": ``rules.is_organiser``) and
the allowed source states, saves with ``update_fields`` and appends a history row
(``RecordEvent``, ``ClaimEvent``, ``StarEvent``: ``core.services.Transitions``).
Points move only through ``gongzhi.points.services``: the earning of a record has the
idempotency key ``svc:<record id>``, so issuing twice (or two racing sweeps) earns once; an
amendment of an issued record reverses that earning and earns the new amount under
``svc:<record id>:amend:<amendment id>``. Errors are ``VolunteeringError`` with a stable code
and a translated message, and change nothing.

The package is split by sub-domain: ``activities`` (and co-building labour), ``records``,
``claims`` (and the glue to the points ledger) and ``stars``; ``_base`` holds the error and the
transitions. Import from the package: ``from gongzhi.volunteering.services import X``.
"""

from gongzhi.volunteering.services._base import MAX_MINUTES, VolunteeringError
from gongzhi.volunteering.services.activities import activity_create, co_building_record
from gongzhi.volunteering.services.claims import (
    points_claim_approve,
    points_claim_dismiss_objection,
    points_claim_issue,
    points_claim_object,
    points_claim_reject,
    points_claims_approve_batch,
    points_claims_issue_due,
)
from gongzhi.volunteering.services.records import (
    rule_for,
    service_record_add,
    service_record_amend,
    service_record_confirm,
    service_record_revoke,
    service_records_add_batch,
)
from gongzhi.volunteering.services.stars import (
    approved_minutes,
    star_awards_refresh,
    star_scheme_for,
)

__all__ = [
    "MAX_MINUTES",
    "VolunteeringError",
    "activity_create",
    "approved_minutes",
    "co_building_record",
    "points_claim_approve",
    "points_claim_dismiss_objection",
    "points_claim_issue",
    "points_claim_object",
    "points_claim_reject",
    "points_claims_approve_batch",
    "points_claims_issue_due",
    "rule_for",
    "service_record_add",
    "service_record_amend",
    "service_record_confirm",
    "service_record_revoke",
    "service_records_add_batch",
    "star_awards_refresh",
    "star_scheme_for",
]

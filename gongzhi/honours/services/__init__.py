"""Every write to honours (see docs/honours.md), by sub-domain:

* ``elections`` — verified residents, elections of good people and their ballots;
* ``talent`` — the talent pool and recommendations upward;
* ``rolls`` — honour rolls;
* ``common`` — ``HonoursError`` (a ``core.services.ServiceError``) and the text rule.

A refused write raises ``HonoursError`` with a stable ``code`` and a translated message and
changes nothing. This package re-exports the public names so that
``from gongzhi.honours import services`` keeps working; its modules import one another by
their own names, never through this file.
"""

from gongzhi.honours.services.common import MAX_TEXT, HonoursError, resident_community_id
from gongzhi.honours.services.elections import (
    ballot_cast,
    candidate_assess,
    candidate_nominate,
    candidate_screen,
    combined_score,
    election_close_voting,
    election_create,
    election_open_voting,
    election_publish,
    election_start_publicity,
    election_start_screening,
    election_vote,
    objection_handle,
    objection_raise,
    resident_verify,
)
from gongzhi.honours.services.rolls import (
    roll_build,
    roll_discard,
    roll_publish,
    roll_rows,
    rule_create,
)
from gongzhi.honours.services.talent import (
    recommendation_decide,
    talent_add,
    talent_recommend,
)

__all__ = [
    "MAX_TEXT",
    "HonoursError",
    "ballot_cast",
    "candidate_assess",
    "candidate_nominate",
    "candidate_screen",
    "combined_score",
    "election_close_voting",
    "election_create",
    "election_open_voting",
    "election_publish",
    "election_start_publicity",
    "election_start_screening",
    "election_vote",
    "objection_handle",
    "objection_raise",
    "recommendation_decide",
    "resident_community_id",
    "resident_verify",
    "roll_build",
    "roll_discard",
    "roll_publish",
    "roll_rows",
    "rule_create",
    "talent_add",
    "talent_recommend",
]

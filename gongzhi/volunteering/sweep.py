"""The volunteering step of ``gongzhi sweep`` (registered in ``apps.py``).

Claims whose publicity (公示) has ended are issued (points through ``points_earn`` with the
key ``svc:<record id>``, so a second or concurrent run issues nothing more), then star levels
whose publicity has ended are awarded, community by community.
"""

import datetime as dt

from gongzhi.volunteering.models import StarAward, StarStatus
from gongzhi.volunteering.services import points_claims_issue_due, star_awards_refresh


def issue_and_award(now: dt.datetime) -> dict[str, int]:
    issued = points_claims_issue_due(now=now)
    communities = (
        StarAward.objects.filter(status=StarStatus.PUBLICISED, publicity_until__lte=now)
        .values_list("scheme__community_id", flat=True)
        .distinct()
    )
    awarded = sum(
        star_awards_refresh(community=community_id, now=now)["stars_awarded"]
        for community_id in sorted(set(communities))
    )
    return {"service_claims_issued": issued, "stars_awarded": awarded}

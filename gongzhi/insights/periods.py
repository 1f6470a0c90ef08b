"""The period of the scope dashboard and of the stored figures: days ``since`` to ``until``.

Its own module so that the dashboard (which reads the stored figures) and the snapshot step
(which computes them with the dashboard's functions) both use it without importing each other
back.
"""

import datetime as dt
from dataclasses import dataclass

from gongzhi.insights.index import Period as IndexPeriod


@dataclass(frozen=True)
class Period:
    """Days ``since`` to ``until``, both included."""

    since: dt.date
    until: dt.date

    def index_period(self) -> IndexPeriod:
        return IndexPeriod(self.since, self.until)


def year_to_date(today: dt.date) -> Period:
    """The dashboard's default period, and the one whose figures the rollup stores."""
    return Period(today.replace(month=1, day=1), today)

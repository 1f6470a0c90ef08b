"""Medians read from the rollup's time buckets (``MatterPlaceDay``'s ``ack_b*`` and
``close_b*``), for periods and places too large to read every matter.

The buckets are counts of durations in hours between consecutive ``TIME_BUCKET_EDGES``
(``[0, 1]``, ``(1, 2]``, … ``(504, 720]``, then more than 720). The middle duration(s) are
found in their buckets and placed inside them as if a bucket's durations were spread evenly:
so the median is never further from the true one than the width of the bucket(s) the middle
durations fall in (an hour below 4 hours, 12 hours around 2 days, a week near a month). Past
the last edge there is no upper bound: a middle duration there is taken as the edge
(720 hours), a lower bound.
"""

from collections.abc import Sequence

from gongzhi.insights.models import TIME_BUCKET_EDGES


def bucket_bounds(i: int, edges: Sequence[float] = TIME_BUCKET_EDGES) -> tuple[float, float]:
    """The lower and upper edge of bucket ``i`` (the last one's upper edge is its lower)."""
    low = edges[i - 1] if i > 0 else 0
    high = edges[i] if i < len(edges) else low
    return float(low), float(high)


def bucket_of(hours: float, edges: Sequence[float] = TIME_BUCKET_EDGES) -> int:
    """The bucket a duration falls in (upper edges are inclusive, as the rollup counts)."""
    return next((i for i, edge in enumerate(edges) if hours <= edge), len(edges))


def median_from_buckets(
    counts: Sequence[int], edges: Sequence[float] = TIME_BUCKET_EDGES
) -> float | None:
    """The median hours of the durations counted in ``counts`` (one per bucket of ``edges``,
    ``len(edges) + 1`` of them), rounded to 0.1; None when there is none.

    As ``statistics.median``: the middle duration, or the mean of the two middle ones for an
    even count. The k-th of a bucket's n durations is taken to be at (k - ½) / n of its
    width, so each middle duration is off by less than the width of its bucket."""
    if len(counts) != len(edges) + 1:
        raise ValueError(f"{len(edges) + 1} bucket counts expected, got {len(counts)}")
    total = sum(counts)
    if not total:
        return None

    def at(rank: int) -> float:  # the rank-th smallest duration, from 1
        below = 0
        for i, count in enumerate(counts):
            if below + count >= rank:
                low, high = bucket_bounds(i, edges)
                return low + (high - low) * (rank - below - 0.5) / count
            below += count
        raise AssertionError("unreachable: rank ≤ total")

    middle = (at((total + 1) // 2) + at(total // 2 + 1)) / 2
    return round(middle, 1)

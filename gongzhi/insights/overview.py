"""The overview section of the insight app: the holistic-governance index."""

from django.utils import timezone

from gongzhi.core.places import Place


def index_section(place: Place | None) -> dict:
    """``index``: the score and its four dimensions for this year so far (the index page's
    default period), read from the rollups."""
    from gongzhi.insights.index import DIMENSIONS, Period
    from gongzhi.insights.index_store import stored_index

    today = timezone.localdate()
    result = stored_index(place, Period(today.replace(month=1, day=1), today), today)
    return {"index": {"score": result["score"], **{key: result[key] for key in DIMENSIONS}}}

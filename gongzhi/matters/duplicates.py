"""Duplicates: a new matter that resembles an open one nearby is suggested for merging.

Candidates are the open matters of the same building (of the same compound when the new matter
has no building, of the community when it has neither) submitted within a window. Texts are
compared by cosine similarity of character TF-IDF vectors fitted on the candidates and the new
text; letters and digits only, so punctuation and spaces do not count.

Tuning (14 resident phrasings against 8 open matters, one to three true matches each, for
example "3单元电梯坏了，老人上下楼很不方便" vs "我们3单元的电梯又坏了，上下楼不方便", "楼道有电动车
充电" vs "楼道里堆满杂物，还有电动车在楼道充电", "隔壁的狗天天晚上叫" vs "晚上有狗一直叫"):

| n-grams | true matches | best unrelated pair |
|---|---|---|
| characters 2–3 | 0.03 – 0.40 (median 0.21) | 0.11 |
| characters 1–2 | 0.17 – 0.54 (median 0.40) | 0.18 |

Chinese requests are short and reworded freely, so bigrams and trigrams alone miss most true
duplicates (a threshold of 0.35 found 1 of 11); single characters (电梯, 狗, 漏) carry much of
the meaning. With 1–2 grams a threshold of 0.2 found 10 of 11 true matches and no unrelated
pair, both with many candidates and with a single one (where IDF cannot help).
"""

import datetime as dt
import re

from django.db.models import Count
from django.utils import timezone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from gongzhi.matters.models import Matter

THRESHOLD = 0.2
NGRAM_RANGE = (1, 2)
# Enough for any building or compound's open matters of a month; bounds the vectorising cost.
MAX_CANDIDATES = 300

_NOT_WORD = re.compile(r"[\W_]+")


def _normalise(text: str) -> str:
    return _NOT_WORD.sub("", text or "").lower()


def _near(place: dict) -> dict:
    if place.get("building") is not None:
        return {"building": place["building"]}
    if place.get("compound") is not None:
        return {"compound": place["compound"]}
    return {"community": place["community"]}


def similar_open_matters(
    *,
    text: str,
    place: dict,
    exclude_id: int | None = None,
    window_days: int = 30,
    limit: int = 5,
    now: dt.datetime | None = None,
) -> list[tuple[Matter, float]]:
    """Open matters near ``place`` (as from ``services.resolve_place``) resembling ``text``.

    Best first, as (matter, similarity 0–1). Each matter carries ``reporter_count``: everyone
    who reported it, merged duplicates included, shown as "+N" (N = reporter_count − 1).
    """
    query = _normalise(text)
    if not query:
        return []
    since = (now or timezone.now()) - dt.timedelta(days=window_days)
    matters = (
        Matter.objects.open()
        .filter(created_at__gte=since, **_near(place))
        .exclude(pk=exclude_id)
        .annotate(reporter_count=Count("reporters"))
        .order_by("-created_at", "-id")[:MAX_CANDIDATES]
    )
    matters = list(matters)
    if not matters:
        return []
    vectors = TfidfVectorizer(analyzer="char", ngram_range=NGRAM_RANGE).fit_transform(
        [_normalise(m.text) for m in matters] + [query]
    )
    scores = linear_kernel(vectors[-1], vectors[:-1])[0]
    found = [(m, round(float(s), 3)) for m, s in zip(matters, scores, strict=True)]
    found = [pair for pair in found if pair[1] >= THRESHOLD]
    found.sort(key=lambda pair: (-pair[1], -pair[0].pk))
    return found[:limit]

"""Suggest a matter's category and tier from its text.

Two linear models over the same TF-IDF features — character 1–3-grams, which need no word
segmentation and shrug off typos and dialect spellings — one for the category and one for the
tier. The tier model also sees the category (the true one in training, the predicted one after),
because what makes a matter "hard" differs between, say, parking and care.

The trained model ships inside the package (``data/classifier.joblib``) and is rebuilt from
``data/corpus.jsonl`` plus staff corrections by ``gongzhi train_classifier``. ``data/heldout.jsonl``
is written separately and only ever used to measure the model.

This module does not need Django: the bench script and the command line use it directly.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

import joblib
import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

DATA = Path(__file__).resolve().parent / "data"
ARTIFACT = DATA / "classifier.joblib"
CORPUS = DATA / "corpus.jsonl"
HELDOUT = DATA / "heldout.jsonl"

# Kept in step with gongzhi.matters.models.Category / Tier / Channel (a test checks it).
CATEGORIES = (
    "parking",
    "greening",
    "sanitation",
    "pets",
    "facilities",
    "safety",
    "care",
    "disputes",
    "property",
    "culture",
    "services",
    "other",
)
TIERS = ("small", "big", "hard")
CHANNELS = (
    "grid_visit",
    "building_visit",
    "online_web",
    "online_wechat",
    "online_phone",
    "walk_in",
    "meeting",
)
ARTIFACT_VERSION = 1
ALTERNATIVES = 3


class Example(NamedTuple):
    text: str
    category: str
    tier: str


@dataclass(frozen=True)
class Suggestion:
    category: str
    tier: str
    confidence: float
    tier_confidence: float
    alternatives: list[list] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The public contract of ``gongzhi classify`` and the API."""
        return {
            "category": self.category,
            "tier": self.tier,
            "confidence": self.confidence,
            "alternatives": self.alternatives,
        }


# ---- text ------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, emoji and other symbols to spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = "".join(
        " " if unicodedata.category(ch) in ("So", "Sk", "Cs", "Co") else ch for ch in text
    )
    return _SPACE.sub(" ", text).strip()


def _features() -> TfidfVectorizer:
    # Character 1–3-grams alone: adding jieba words in a FeatureUnion did not help on
    # cross-validation or the held-out set (docs/classification.md) and cost a second of
    # dictionary loading on first use, so the word features were dropped.
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True, dtype=np.float32
    )


def _one_hot(categories: Iterable[str]) -> csr_matrix:
    index = {c: i for i, c in enumerate(CATEGORIES)}
    rows = [index[c] for c in categories]
    data = np.ones(len(rows), dtype=np.float32)
    return csr_matrix((data, (range(len(rows)), rows)), shape=(len(rows), len(CATEGORIES)))


# ---- the model -------------------------------------------------------------------------------


class Model:
    def __init__(self, features: TfidfVectorizer, category, tier):
        self.features = features
        self.category = category
        self.tier = tier
        self.version = ARTIFACT_VERSION

    def predict(self, texts: list[str]) -> list[Suggestion]:
        if not texts:
            return []
        x = self.features.transform([normalise(t) for t in texts])
        cat_p = self.category.predict_proba(x)
        cat_labels = self.category.classes_
        chosen = [cat_labels[i] for i in cat_p.argmax(axis=1)]
        tier_p = self.tier.predict_proba(hstack([x, _one_hot(chosen)]).tocsr())
        tier_labels = self.tier.classes_
        out = []
        for row, tier_row in zip(cat_p, tier_p, strict=True):
            order = np.argsort(-row)
            best = order[0]
            tier_best = int(tier_row.argmax())
            out.append(
                Suggestion(
                    category=str(cat_labels[best]),
                    tier=str(tier_labels[tier_best]),
                    confidence=round(float(row[best]), 3),
                    tier_confidence=round(float(tier_row[tier_best]), 3),
                    alternatives=[
                        [str(cat_labels[i]), round(float(row[i]), 3)]
                        for i in order[1 : 1 + ALTERNATIVES]
                    ],
                )
            )
        return out

    def save(self, path: Path | str = ARTIFACT) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)
        _load.cache_clear()
        return path


def validate(examples: Iterable) -> list[Example]:
    """Examples as ``Example`` tuples; raises ``ValueError`` naming the first bad one."""
    out = []
    for n, item in enumerate(examples, 1):
        if isinstance(item, dict):
            item = (item.get("text"), item.get("category"), item.get("tier"))
        text, category, tier = item
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"example {n}: empty text")
        if category not in CATEGORIES:
            raise ValueError(f"example {n}: unknown category {category!r}")
        if tier not in TIERS:
            raise ValueError(f"example {n}: unknown tier {tier!r}")
        out.append(Example(text, category, tier))
    return out


def train(examples: Iterable) -> Model:
    examples = validate(examples)
    missing = set(CATEGORIES) - {e.category for e in examples}
    if missing or len({e.tier for e in examples}) < len(TIERS):
        raise ValueError("training needs examples of every category and every tier")
    features = _features()
    x = features.fit_transform([normalise(e.text) for e in examples])
    category = _linear().fit(x, [e.category for e in examples])
    with_category = hstack([x, _one_hot(e.category for e in examples)]).tocsr()
    tier = _linear().fit(with_category, [e.tier for e in examples])
    return Model(features, category, tier)


def _linear() -> CalibratedClassifierCV:
    # A linear SVM trains in a second where logistic regression takes minutes on these
    # features; sigmoid calibration turns its margins into probabilities. One SVM fitted on
    # all the data (ensemble=False) keeps the artifact small and the argmax stable.
    return CalibratedClassifierCV(
        LinearSVC(C=1.0, class_weight="balanced", random_state=0),
        method="sigmoid",
        cv=5,
        ensemble=False,
    )


@cache
def _load(path: str) -> Model:
    model = joblib.load(path)
    if getattr(model, "version", None) != ARTIFACT_VERSION:
        raise RuntimeError(f"{path} is not a version {ARTIFACT_VERSION} classifier; retrain it")
    return model


def load(path: Path | str | None = None) -> Model:
    """The shipped model (or the one at ``path``), loaded once per process."""
    return _load(str(Path(path or ARTIFACT).resolve()))


# ---- data and evaluation ---------------------------------------------------------------------


def read_examples(path: Path | str) -> list[Example]:
    with open(path, encoding="utf-8") as f:
        return validate(json.loads(line) for line in f if line.strip())


def evaluate(model: Model, examples: Iterable) -> dict:
    """Accuracy and macro-F1 of category and tier, and the most frequent confusions."""
    examples = validate(examples)
    predicted = model.predict([e.text for e in examples])
    cat_true = [e.category for e in examples]
    cat_pred = [s.category for s in predicted]
    tier_true = [e.tier for e in examples]
    tier_pred = [s.tier for s in predicted]
    confusions = Counter(
        (t, p) for t, p in zip(cat_true, cat_pred, strict=True) if t != p
    ).most_common(10)
    tier_confusions = Counter(
        (t, p) for t, p in zip(tier_true, tier_pred, strict=True) if t != p
    ).most_common()
    return {
        "n": len(examples),
        "category_accuracy": round(accuracy_score(cat_true, cat_pred), 4),
        "category_macro_f1": round(
            f1_score(cat_true, cat_pred, labels=list(CATEGORIES), average="macro"), 4
        ),
        "tier_accuracy": round(accuracy_score(tier_true, tier_pred), 4),
        "tier_macro_f1": round(
            f1_score(tier_true, tier_pred, labels=list(TIERS), average="macro"), 4
        ),
        "category_f1": dict(
            zip(
                CATEGORIES,
                (
                    round(float(v), 3)
                    for v in f1_score(cat_true, cat_pred, labels=list(CATEGORIES), average=None)
                ),
                strict=True,
            )
        ),
        "confusions": [[t, p, n] for (t, p), n in confusions],
        "tier_confusions": [[t, p, n] for (t, p), n in tier_confusions],
    }

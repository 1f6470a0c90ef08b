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
import math
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import repeat
from operator import add
from pathlib import Path
from typing import NamedTuple

import joblib
import numpy as np
from scipy.sparse import csr_matrix, hstack
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

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
_SYMBOL_CATEGORIES = frozenset(("So", "Sk", "Cs", "Co"))


class _Symbols(dict):
    """``str.translate`` table: a symbol's code point to a space, any other to itself.

    Filled as characters are met (a Python loop over every character cost a fifth of a
    prediction); past ``LIMIT`` entries it answers without remembering.
    """

    LIMIT = 50_000

    def __missing__(self, code: int):
        value = " " if unicodedata.category(chr(code)) in _SYMBOL_CATEGORIES else code
        if len(self) < self.LIMIT:
            self[code] = value
        return value


_SYMBOLS = _Symbols()


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, emoji and other symbols to spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower().translate(_SYMBOLS)
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

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_fast", None)  # rebuilt from the fitted parts after loading
        return state

    def predict(self, texts: list[str]) -> list[Suggestion]:
        if not texts:
            return []
        cat_p, tier_p = self.probabilities(texts)
        cat_labels = [str(c) for c in self.category.classes_]
        tier_labels = [str(t) for t in self.tier.classes_]
        orders = np.argsort(-cat_p, axis=1)[:, : 1 + ALTERNATIVES].tolist()
        tier_best = tier_p.argmax(axis=1).tolist()
        out = []
        for row, order, tier_row, t in zip(
            cat_p.tolist(), orders, tier_p.tolist(), tier_best, strict=True
        ):
            best = order[0]
            out.append(
                Suggestion(
                    category=cat_labels[best],
                    tier=tier_labels[t],
                    confidence=round(row[best], 3),
                    tier_confidence=round(tier_row[t], 3),
                    alternatives=[[cat_labels[i], round(row[i], 3)] for i in order[1:]],
                )
            )
        return out

    def probabilities(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Category and tier probabilities, one row per text, columns in ``classes_`` order.

        The fitted model as plain arrays (``_Fast``) when it is the kind ``train`` makes: the
        same numbers as scikit-learn's (a test compares them) without its per-call input
        validation, which was most of a single text's 2.6 ms; other kinds go through
        scikit-learn.
        """
        fast = self.__dict__.get("_fast")
        if fast is None:
            fast = self._fast = _Fast.of(self) or False
        if fast is False:
            return self.probabilities_sklearn(texts)
        return fast.probabilities(texts)

    def probabilities_sklearn(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The same through scikit-learn: the reference, and the path for other model kinds."""
        x = self.features.transform([normalise(t) for t in texts])
        cat_p = self.category.predict_proba(x)
        chosen = [self.category.classes_[i] for i in cat_p.argmax(axis=1)]
        tier_p = self.tier.predict_proba(hstack([x, _one_hot(chosen)]).tocsr())
        return cat_p, tier_p

    def save(self, path: Path | str = ARTIFACT) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)
        _load.cache_clear()
        return path


class _Sigmoid:
    """A ``CalibratedClassifierCV(LinearSVC, method="sigmoid", ensemble=False)`` as arrays.

    ``scores`` is ``X @ coef.T + intercept`` (what ``decision_function`` returns); the
    probabilities are computed as ``_CalibratedClassifier.predict_proba`` does: one sigmoid
    per class, normalised to sum 1, a uniform row where they sum to 0.
    """

    def __init__(self, weights, intercept, a, b, columns, n_classes):
        self.weights = weights  # (n_features, n_estimator_classes), float64, C order
        self.intercept = intercept
        self.a = a
        self.b = b
        self.columns = columns  # the calibrated column of each estimator class
        self.n_classes = n_classes

    @classmethod
    def of(cls, calibrated) -> _Sigmoid | None:
        if not isinstance(calibrated, CalibratedClassifierCV):
            return None
        if len(calibrated.calibrated_classifiers_) != 1:
            return None
        (one,) = calibrated.calibrated_classifiers_
        estimator = one.estimator
        n_classes = len(one.classes)
        if (
            one.method != "sigmoid"
            or not isinstance(estimator, LinearSVC)
            or n_classes < 3
            or not all(hasattr(c, "a_") and hasattr(c, "b_") for c in one.calibrators)
        ):
            return None
        return cls(
            weights=np.ascontiguousarray(estimator.coef_.T, dtype=np.float64),
            intercept=np.asarray(estimator.intercept_, dtype=np.float64),
            a=np.array([c.a_ for c in one.calibrators], dtype=np.float64),
            b=np.array([c.b_ for c in one.calibrators], dtype=np.float64),
            columns=np.searchsorted(one.classes, estimator.classes_),
            n_classes=n_classes,
        )

    def proba(self, scores: np.ndarray) -> np.ndarray:
        proba = np.zeros((scores.shape[0], self.n_classes))
        proba[:, self.columns] = expit(-(self.a * scores + self.b))
        denominator = np.sum(proba, axis=1)[:, np.newaxis]
        uniform = np.full_like(proba, 1 / self.n_classes)
        proba = np.divide(proba, denominator, out=uniform, where=denominator != 0)
        proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba


class _Fast:
    """The fitted model as plain arrays: TF-IDF, linear scores and calibration in numpy.

    Features follow ``TfidfVectorizer.transform`` step by step in its own float32 arithmetic:
    ``char_wb`` n-grams of the lower-cased text counted against the vocabulary, columns in
    index order, ``1 + log(count)`` times idf, each row divided by its l2 norm (by
    scikit-learn's own ``inplace_csr_row_normalize_l2``), so they are equal bit for bit. The
    n-grams are made and looked up with ``map`` rather than a Python loop per n-gram, and one
    batch is counted with one sort; the scores are one sparse product per model.
    """

    def __init__(self, vocabulary, idf, ngram_range, category: _Sigmoid, tier: _Sigmoid, columns):
        self.vocabulary = vocabulary
        self.idf = idf
        self.ngram_range = ngram_range
        self.category = category
        self.tier = tier
        self.one_hot_columns = columns  # the category's column in the tier model's one-hot part
        self.tier_weights = tier.weights[: len(idf)]  # the text features' part

    @classmethod
    def of(cls, model: Model) -> _Fast | None:
        f = model.features
        expected = {
            "input": "content",
            "analyzer": "char_wb",
            "lowercase": True,
            "preprocessor": None,
            "strip_accents": None,
            "binary": False,
            "norm": "l2",
            "use_idf": True,
            "sublinear_tf": True,
            "dtype": np.float32,
        }
        if any(getattr(f, name) != value for name, value in expected.items()):
            return None
        category, tier = _Sigmoid.of(model.category), _Sigmoid.of(model.tier)
        if category is None or tier is None:
            return None
        n_features = len(f.idf_)
        if tier.weights.shape[0] != n_features + len(CATEGORIES):
            return None
        index = {c: i for i, c in enumerate(CATEGORIES)}
        columns = np.array([n_features + index[c] for c in model.category.classes_])
        return cls(f.vocabulary_, f.idf_, f.ngram_range, category, tier, columns)

    def _columns(self, text: str, columns: array) -> None:
        """Append the column of each n-gram of ``text`` to ``columns`` (-1 where it is not in
        the vocabulary), in the order ``char_wb`` makes them."""
        get = self.vocabulary.get
        low, high = self.ngram_range
        for word in normalise(text).lower().split():
            word = f" {word} "
            size = len(word)
            # The n-grams of one size are those one shorter plus the next character.
            ngrams: Iterable[str] = word
            for n in range(1, high + 1):
                if n > 1:
                    ngrams = list(map(add, ngrams, word[n - 1 :]))
                if n < low:
                    continue
                if size <= n:  # a word shorter than n counts once, as itself
                    columns.append(get(word, -1))
                    break
                columns.extend(map(get, ngrams, repeat(-1)))

    def features(self, texts: list[str]) -> csr_matrix:
        """The TF-IDF rows of ``texts`` (float32 CSR, columns sorted within each row)."""
        columns = array("q")  # each n-gram's column, -1 where it is not in the vocabulary
        lengths = []
        for text in texts:
            before = len(columns)
            self._columns(text, columns)
            lengths.append(len(columns) - before)
        n_features = len(self.idf)
        rows = np.repeat(np.arange(len(texts)), lengths)
        columns = np.frombuffer(columns, dtype=np.int64)
        known = columns >= 0
        # Sorted (row, column) keys: equal neighbours are repeats of one n-gram in one text.
        keys = np.sort(rows[known] * n_features + columns[known])
        first = np.ones(len(keys), dtype=bool)
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        data = np.diff(starts, append=len(keys)).astype(np.float32)
        rows, index = np.divmod(keys[starts], n_features)
        indptr = np.searchsorted(rows, np.arange(len(texts) + 1)).astype(np.int32)
        index = index.astype(np.int32)
        np.log(data, data)
        data += 1.0
        data *= self.idf[index]
        x = csr_matrix((data, index, indptr), shape=(len(texts), len(self.idf)), copy=False)
        inplace_csr_row_normalize_l2(x)
        return x

    def features_of_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One text's TF-IDF row as (sorted columns, float32 values): the row ``features``
        gives, bit for bit, without building a sparse matrix (scipy's constructor checks and
        the conversion to float64 were a third of a single text's time)."""
        found = array("q")
        self._columns(text, found)
        columns = np.frombuffer(found, dtype=np.int64)
        index, counts = np.unique(columns[columns >= 0], return_counts=True)
        data = counts.astype(np.float32)
        np.log(data, data)
        data += 1.0
        data *= self.idf[index]
        # The l2 norm as ``inplace_csr_row_normalize_l2`` takes it: float32 squares summed
        # in order in a double, each value divided in double and stored as float32.
        total = 0.0
        for square in (data * data).tolist():
            total += square
        if total != 0.0:
            data = (data.astype(np.float64) / math.sqrt(total)).astype(np.float32)
        return index, data

    def probabilities(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        if len(texts) == 1:
            return self.probabilities_of_one(texts[0])
        x = self.features(texts).astype(np.float64)
        cat_p = self.category.proba(x @ self.category.weights + self.category.intercept)
        chosen = self.one_hot_columns[cat_p.argmax(axis=1)]
        tier = self.tier
        tier_p = tier.proba(x @ self.tier_weights + tier.weights[chosen] + tier.intercept)
        return cat_p, tier_p

    def probabilities_of_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``probabilities([text])`` in dense arithmetic over the text's own columns: each
        score is the sum, in column order, of value × weight, as scipy's sparse product adds
        them (so the same numbers), plus the intercept."""
        index, data = self.features_of_one(text)
        x = data.astype(np.float64)[:, np.newaxis]
        category, tier = self.category, self.tier
        scores = (x * category.weights[index]).sum(axis=0) + category.intercept
        cat_p = category.proba(scores[np.newaxis, :])
        chosen = self.one_hot_columns[cat_p[0].argmax()]
        scores = (x * self.tier_weights[index]).sum(axis=0) + tier.weights[chosen]
        tier_p = tier.proba((scores + tier.intercept)[np.newaxis, :])
        return cat_p, tier_p


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
    return _load(_resolved(str(path or ARTIFACT)))


@cache
def _resolved(path: str) -> str:
    """The path with links resolved, once per path: ``load`` runs at every submit and
    ``Path.resolve`` asks the file system for each part of the path."""
    return str(Path(path).resolve())


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

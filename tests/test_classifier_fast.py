"""The classifier's fast path gives scikit-learn's numbers: features, probabilities, suggestions.

``Model.predict`` computes the TF-IDF features, the linear scores and the sigmoid calibration
with numpy (``classifier._Fast``) instead of going through scikit-learn's estimators, whose
per-call checks cost most of a single text's time. These tests hold it to the reference path
(``Model.probabilities_sklearn``, what ``predict`` did before) on the held-out set, the training
corpus and awkward texts.
"""

import copy
import unicodedata

import numpy as np
import pytest

from gongzhi.matters import classifier

AWKWARD = [
    "",
    "   ",
    "😀😀👍",  # symbols only: no n-gram at all
    "ＡＢＣ停车位被占",  # full width
    "a",
    "x y",  # words shorter than a trigram
    "停车 停车 停车 停车 停车 " * 30,  # repeated n-grams
    "\x00\t\n",
    "电梯坏了\ue000\ue001",  # private use characters
    "噪音扰民ÀÉ 𠀀𠀁",  # accents and characters outside the BMP
    "！！！？？？",
]


@pytest.fixture(scope="module")
def model():
    return classifier.load()


@pytest.fixture(scope="module")
def texts():
    heldout = [e.text for e in classifier.read_examples(classifier.HELDOUT)]
    corpus = [e.text for e in classifier.read_examples(classifier.CORPUS)]
    return heldout + corpus + AWKWARD


def _reference_suggestions(model, texts):
    """Suggestions built from scikit-learn's probabilities the way ``predict`` built them."""
    cat_p, tier_p = model.probabilities_sklearn(texts)
    cat_labels, tier_labels = model.category.classes_, model.tier.classes_
    out = []
    for row, tier_row in zip(cat_p, tier_p, strict=True):
        order = np.argsort(-row)
        best = order[0]
        tier_best = int(tier_row.argmax())
        out.append(
            classifier.Suggestion(
                category=str(cat_labels[best]),
                tier=str(tier_labels[tier_best]),
                confidence=round(float(row[best]), 3),
                tier_confidence=round(float(tier_row[tier_best]), 3),
                alternatives=[
                    [str(cat_labels[i]), round(float(row[i]), 3)]
                    for i in order[1 : 1 + classifier.ALTERNATIVES]
                ],
            )
        )
    return out


def test_the_shipped_model_takes_the_fast_path(model):
    assert classifier._Fast.of(model) is not None


def test_features_equal_scikit_learns_bit_for_bit(model, texts):
    expected = model.features.transform([classifier.normalise(t) for t in texts])
    got = classifier._Fast.of(model).features(texts)
    assert got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert got.data.dtype == expected.data.dtype == np.float32
    assert np.array_equal(got.data.view(np.uint32), expected.data.view(np.uint32))


def test_one_texts_features_equal_the_batchs_row_bit_for_bit(model, texts):
    """``features_of_one`` (the single text's path, no sparse matrix) gives the row of
    ``features``: the same columns and the same float32 bits."""
    fast = classifier._Fast.of(model)
    batch = fast.features(texts)
    for i, text in enumerate(texts):
        index, data = fast.features_of_one(text)
        row = batch[i]
        assert np.array_equal(index, row.indices), text
        assert data.dtype == np.float32
        assert np.array_equal(data.view(np.uint32), row.data.view(np.uint32)), text


def test_one_texts_probabilities_equal_the_batch_paths_exactly(model, texts):
    """The single text's dense arithmetic adds the same products in the same order as the
    sparse product of the batch path: equal numbers, not merely close ones."""
    fast = classifier._Fast.of(model)
    cat_batch, tier_batch = fast.probabilities(texts)
    for i, text in enumerate(texts):
        cat_p, tier_p = fast.probabilities_of_one(text)
        assert np.array_equal(cat_p, cat_batch[i : i + 1]), text
        assert np.array_equal(tier_p, tier_batch[i : i + 1]), text


def test_probabilities_equal_scikit_learns_in_one_batch(model, texts):
    cat_expected, tier_expected = model.probabilities_sklearn(texts)
    cat_p, tier_p = model.probabilities(texts)
    assert cat_p.shape == cat_expected.shape and tier_p.shape == tier_expected.shape
    assert np.abs(cat_p - cat_expected).max() <= 1e-9
    assert np.abs(tier_p - tier_expected).max() <= 1e-9


def test_probabilities_equal_scikit_learns_one_text_per_call(model, texts):
    heldout = [e.text for e in classifier.read_examples(classifier.HELDOUT)]
    for text in heldout + AWKWARD:
        cat_expected, tier_expected = model.probabilities_sklearn([text])
        cat_p, tier_p = model.probabilities([text])
        assert np.abs(cat_p - cat_expected).max() <= 1e-9, text
        assert np.abs(tier_p - tier_expected).max() <= 1e-9, text


def test_every_heldout_suggestion_is_the_same_as_before(model):
    heldout = [e.text for e in classifier.read_examples(classifier.HELDOUT)]
    assert model.predict(heldout) == _reference_suggestions(model, heldout)
    assert [model.predict([t])[0] for t in heldout] == _reference_suggestions(model, heldout)
    assert model.predict(AWKWARD) == _reference_suggestions(model, AWKWARD)


def test_heldout_accuracy_is_the_same_on_both_paths(model):
    heldout = classifier.read_examples(classifier.HELDOUT)
    reference = copy.copy(model)
    reference._fast = False  # what ``probabilities`` uses for a model it cannot compile
    assert classifier.evaluate(model, heldout) == classifier.evaluate(reference, heldout)


def test_a_model_of_another_kind_goes_through_scikit_learn(model):
    other = copy.deepcopy(model)
    other.__dict__.pop("_fast", None)
    other.features.sublinear_tf = False  # a vectorizer the fast path does not reproduce
    assert classifier._Fast.of(other) is None
    texts = ["楼下的车堵住了消防通道", "电梯坏了"]
    cat_p, tier_p = other.probabilities(texts)
    cat_expected, tier_expected = other.probabilities_sklearn(texts)
    assert np.array_equal(cat_p, cat_expected) and np.array_equal(tier_p, tier_expected)


def test_a_saved_model_leaves_the_fast_arrays_out_and_rebuilds_them(model, tmp_path):
    model.predict(["电梯坏了"])
    assert "_fast" in model.__dict__
    path = tmp_path / "classifier.joblib"
    copy.copy(model).save(path)
    loaded = classifier.load(path)
    assert "_fast" not in loaded.__dict__
    assert loaded.predict(AWKWARD) == model.predict(AWKWARD)


def _old_normalise(text):
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = "".join(
        " " if unicodedata.category(ch) in ("So", "Sk", "Cs", "Co") else ch for ch in text
    )
    return classifier._SPACE.sub(" ", text).strip()


def test_normalise_is_unchanged_for_every_character_class(texts):
    samples = texts + [
        "".join(chr(c) for c in range(start, start + 4096)) for start in range(0, 0x30000, 4096)
    ]
    samples += ["\ud800 lone surrogate", "\U000f0000 plane 15 private use"]
    assert [classifier.normalise(t) for t in samples] == [_old_normalise(t) for t in samples]

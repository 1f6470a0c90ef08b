"""The matter classifier: its corpus, the shipped model and the two commands."""

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gongzhi.matters import classifier
from gongzhi.matters.models import Category, Channel, Tier

# Clear matters of each category, written for this test and in neither data file.
CLEAR = {
    "parking": [
        "楼下有辆红色轿车停在我的固定车位上，打电话挪车没人接",
        "小区车位太少，晚上回来只能停马路边",
    ],
    "greening": [
        "楼前的桂花树枝条太长，挡住了二楼的窗户，请修剪",
        "花坛里的草全被人拔了种上了辣椒",
    ],
    "sanitation": [
        "单元门口的垃圾两天没人清运了，苍蝇嗡嗡的",
        "楼道里有人堆了一堆烂纸箱，一股霉味",
    ],
    "pets": ["隔壁家的泰迪白天一直叫，吵得人没法午睡", "草坪上到处是狗屎，遛狗的人都不捡"],
    "facilities": ["二单元的电梯按钮失灵，到不了八楼", "楼道的声控灯坏了一个星期了"],
    "safety": ["有人把电动车推到五楼家里充电，很危险", "厨房里闻到很重的燃气味，怕漏气"],
    "care": ["对门独居的八十岁婆婆腿摔伤了，需要有人帮忙买菜做饭", "留守的小孩放学后没人照看"],
    "disputes": ["楼上卫生间漏水渗到我家，楼上不肯修，两家吵起来了", "婆媳俩为带孩子天天吵架"],
    "property": ["物业费年年涨，服务却越来越差，保洁都不来了", "业委会从来不公开公共收益的账目"],
    "culture": ["社区合唱团想招几个会唱歌的年轻人", "想在社区活动室办一个书法兴趣班"],
    "services": ["退休人员养老金资格认证在哪里办", "孩子出生了想办医保，需要什么材料"],
    "other": ["在小区花园捡到一串钥匙，失主请到门卫室认领", "想问社区办公室周六有没有人值班"],
}


@pytest.fixture(scope="module")
def corpus():
    return classifier.read_examples(classifier.CORPUS)


@pytest.fixture(scope="module")
def heldout():
    return classifier.read_examples(classifier.HELDOUT)


def _rows(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_labels_match_the_matter_model():
    assert classifier.CATEGORIES == tuple(Category.values)
    assert classifier.TIERS == tuple(Tier.values)
    assert classifier.CHANNELS == tuple(Channel.values)


def test_corpus_is_large_balanced_and_well_labelled(corpus):
    rows = _rows(classifier.CORPUS)
    assert len(rows) == len(corpus) >= 1500
    assert all(set(row) == {"text", "category", "tier", "channel"} for row in rows)
    assert {row["channel"] for row in rows} == set(classifier.CHANNELS)
    per_category = Counter(e.category for e in corpus)
    assert set(per_category) == set(classifier.CATEGORIES)
    assert all(n >= 100 for c, n in per_category.items() if c != "other")
    assert per_category["other"] >= 80
    per_tier = Counter(e.tier for e in corpus)
    assert all(per_tier[t] >= 0.25 * len(corpus) for t in classifier.TIERS)
    assert all(6 <= len(e.text) <= 120 for e in corpus)
    assert len({e.text for e in corpus}) == len(corpus), "duplicate texts"


def test_heldout_is_separate_from_the_corpus(corpus, heldout):
    assert len(heldout) >= 300
    assert set(Counter(e.category for e in heldout)) == set(classifier.CATEGORIES)
    assert not {e.text for e in heldout} & {e.text for e in corpus}


def test_shipped_model_classifies_clear_texts_it_never_saw(corpus, heldout):
    seen = {e.text for e in corpus} | {e.text for e in heldout}
    texts = [t for ts in CLEAR.values() for t in ts]
    assert not set(texts) & seen
    predicted = [s.category for s in classifier.load().predict(texts)]
    expected = [c for c, ts in CLEAR.items() for _ in ts]
    assert predicted == expected


def test_shipped_model_meets_the_heldout_floor(heldout):
    result = classifier.evaluate(classifier.load(), heldout)
    assert result["n"] == len(heldout)
    assert result["category_accuracy"] >= 0.85
    assert result["tier_accuracy"] >= 0.75
    assert 0 < result["category_macro_f1"] <= 1
    assert 0 < result["tier_macro_f1"] <= 1


def test_suggestion_shape():
    (s,) = classifier.load().predict(["３栋２单元楼道灯坏了，已报物业🙏"])
    assert s.category in classifier.CATEGORIES and s.tier in classifier.TIERS
    assert 0 < s.confidence <= 1 and round(s.confidence, 3) == s.confidence
    assert 0 < s.tier_confidence <= 1
    assert len(s.alternatives) == 3
    assert s.category not in [c for c, _ in s.alternatives]
    probabilities = [s.confidence] + [p for _, p in s.alternatives]
    assert probabilities == sorted(probabilities, reverse=True)
    assert classifier.load().predict([]) == []


def test_normalise_folds_width_and_drops_emoji():
    assert classifier.normalise("  ３栋ＡＢ  灯坏了😡😡 ") == "3栋ab 灯坏了"


def test_train_rejects_bad_labels():
    with pytest.raises(ValueError, match="unknown category"):
        classifier.train([("楼道灯坏了", "lights", "small")])
    with pytest.raises(ValueError, match="unknown tier"):
        classifier.train([("楼道灯坏了", "facilities", "medium")])
    with pytest.raises(ValueError, match="every category"):
        classifier.train([("楼道灯坏了", "facilities", "small")])


def _classify(text: str, **options) -> list[str]:
    out = io.StringIO()
    call_command("classify", stdin=io.StringIO(text), stdout=out, **options)
    return out.getvalue().splitlines()


def test_classify_answers_every_line_in_order_with_the_contract_keys():
    lines = _classify("楼下的狗叫了一整晚\n\n   \n物业费凭什么又涨了\r\n", batch_size=2)
    assert len(lines) == 4
    first, blank, spaces, last = (json.loads(line) for line in lines)
    assert blank == spaces == {"error": "empty"}
    for answer in (first, last):
        assert list(answer) == ["category", "tier", "confidence", "alternatives"]
        assert all(len(pair) == 2 for pair in answer["alternatives"])
    assert first["category"] == "pets" and last["category"] == "property"


def test_classify_writes_chinese_unescaped():
    (line,) = _classify("社区合唱团还招人吗\n")
    assert "\\u" not in line


def test_classify_refuses_bad_options(tmp_path):
    with pytest.raises(CommandError):
        _classify("x\n", batch_size=0)
    with pytest.raises(CommandError):
        _classify("x\n", model=tmp_path / "missing.joblib")


@pytest.mark.django_db
def test_train_classifier_learns_from_stored_corrections(tmp_path, monkeypatch, heldout):
    from gongzhi.matters import selectors

    # A made-up word the corpus never uses, taught only through corrections.
    corrections = [(f"呱唧呱唧第{n}号", "culture", "big") for n in range(12)]
    corrections.append(("一条坏数据", "no-such-category", "small"))
    corrections.append((heldout[0].text, "other", "small"))
    monkeypatch.setattr(selectors, "classification_corrections", lambda: corrections)
    output = tmp_path / "model.joblib"
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("train_classifier", output=output, evaluate=True, stdout=out, stderr=err)
    assert "12 staff corrections" in out.getvalue()
    assert "Skipped 2" in err.getvalue()
    assert "Category: accuracy" in out.getvalue()
    (line,) = _classify("呱唧呱唧\n", model=output)
    answer = json.loads(line)
    assert answer["category"] == "culture" and answer["tier"] == "big"

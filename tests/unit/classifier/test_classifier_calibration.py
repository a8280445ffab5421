"""Calibrated confidences, the dev-tuned urgency thresholds, the reliability table and the
"check classification" flag."""

from __future__ import annotations

import numpy as np
import pytest

from services.classifier.engine import ClassifyInput, Engine
from services.classifier.engine.calibration import (
    ALARM_BUDGET,
    CALIBRATED_FIELDS,
    Calibration,
    Platt,
    SourceRates,
    UrgencyThresholds,
    tune_urgency,
)
from services.classifier.engine.evaluate_calibration import reliability
from services.classifier.engine.training import load_dev


def test_platt_maps_a_score_to_how_often_it_was_right() -> None:
    rng = np.random.default_rng(1)
    raw = rng.uniform(0.5, 1.0, 4000)
    truth = rng.uniform(size=4000) < 0.5 + (raw - 0.5) / 2  # right 50% at 0.5 … 75% at 1.0
    scale = Platt.fit(raw.tolist(), truth.tolist())
    assert scale(0.99) == pytest.approx(0.75, abs=0.05)
    assert scale(0.6) < scale(0.8) < scale(0.99)


def test_platt_never_turns_an_error_free_split_into_certainty() -> None:
    scale = Platt.fit([0.9] * 50 + [0.99] * 50, [True] * 100)
    assert scale(0.9999) <= 101 / 102 < 1.0


def test_platt_without_ordering_is_one_rate() -> None:
    scale = Platt.fit([0.6, 0.7, 0.8, 0.9], [True, True, False, False])
    assert scale.slope == 0.0 and scale(0.6) == pytest.approx(scale(0.95))


def test_source_rates_are_smoothed_per_source() -> None:
    rates = SourceRates.fit(["text", "text", "hint", "none"], [True, True, False, True])
    assert rates("text") == pytest.approx(3 / 4) and rates("hint") == pytest.approx(1 / 3)
    assert rates("never seen") == rates.overall


def test_urgency_threshold_is_the_lowest_within_the_false_alarm_budget() -> None:
    # 100 normal messages with p(high) spread over 0..1; 10 urgent ones the rules do not catch.
    p_normal = np.arange(100) / 100
    p = [*p_normal.tolist(), *[0.5] * 10]
    gold = [False] * 100 + [True] * 10
    thresholds = tune_urgency(p, [False] * 110, gold)
    alarms = sum(value >= thresholds.high for value in p_normal) / 100
    assert alarms <= ALARM_BUDGET
    assert sum(value >= thresholds.high - 0.01 for value in p_normal) / 100 > ALARM_BUDGET
    assert thresholds.check <= thresholds.high


def test_rules_use_up_the_false_alarm_budget_first() -> None:
    p = [0.1] * 100
    rules = [True] * 3 + [False] * 97  # 3% false alarms from the rules alone
    assert tune_urgency(p, rules, [False] * 100).high == pytest.approx(0.99)


def test_calibration_survives_the_artifact_round_trip() -> None:
    calibration = Calibration(
        UrgencyThresholds(0.3, 0.2), {"topic": Platt(1.5, 0.5)}, SourceRates({"text": 0.9}, 0.8), 412
    )
    assert Calibration.from_dict(calibration.to_dict()) == calibration


def test_reliability_bins_and_ece() -> None:
    table = reliability("topic", [0.95, 0.95, 0.55, 0.55], [True, False, True, True])
    by_bin = {round(b.low, 1): b for b in table.bins if b.count}
    assert (by_bin[0.9].count, by_bin[0.9].accuracy, by_bin[0.5].accuracy) == (2, 0.5, 1.0)
    assert table.ece == pytest.approx((2 * 0.45 + 2 * 0.45) / 4)
    assert "ECE 0.450" in table.render()


def test_the_engine_is_calibrated_on_the_dev_split(engine: Engine) -> None:
    calibration = engine.model.calibration
    assert calibration is not None and calibration.rows == len(load_dev())
    assert set(calibration.scales) == set(CALIBRATED_FIELDS) - {"region"}


def test_confidences_are_calibrated_not_the_raw_scores(engine: Engine) -> None:
    item = ClassifyInput(id="1", text="Когда индексация пенсий в следующем году? Я из Павлодара")
    calibrated, raw = engine.classify(item), engine.uncalibrated().classify(item)
    assert set(calibrated.confidence) == set(CALIBRATED_FIELDS)
    assert calibrated.confidence != raw.confidence
    assert all(0.0 <= value <= 1.0 for value in calibrated.confidence.values())
    assert (calibrated.topic, calibrated.urgency) == (raw.topic, raw.urgency)


def test_a_low_confidence_field_asks_for_a_check(engine: Engine) -> None:
    item = ClassifyInput(id="1", text="Когда индексация пенсий в следующем году?")
    strict = Engine(engine.model, engine.faq, engine.gazetteer, check_below=1.0)
    flagged = strict.classify(item)
    assert flagged.needs_check and flagged.check_fields == list(CALIBRATED_FIELDS)
    relaxed = Engine(engine.model, engine.faq, engine.gazetteer, check_below=0.0).classify(item)
    assert not relaxed.needs_check and relaxed.check_fields == []


def test_urgency_between_the_thresholds_is_normal_and_checked(engine: Engine) -> None:
    """The band below the urgency threshold: not urgent, but a person looks."""
    item = ClassifyInput(id="1", text="Мама лежачая, как оформить уход?")
    p_high = engine.uncalibrated().classify(item)
    assert p_high.urgency == "high"  # the model is past the dev-tuned threshold
    tuned = engine.model.calibration
    assert tuned is not None
    banded = Calibration(UrgencyThresholds(high=0.99, check=0.01), tuned.scales, tuned.region, tuned.rows)
    result = Engine(engine.model, engine.faq, engine.gazetteer, calibration=banded).classify(item)
    assert result.urgency == "normal" and result.needs_check and "urgency" in result.check_fields


def test_remembered_confidences_equal_computed_ones_and_the_memo_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.classifier.engine import calibration as module

    monkeypatch.setattr(module, "_MEMO_SIZE", 10)
    scaled = Calibration(scales={"topic": Platt(slope=1.5, intercept=-0.2, ceiling=0.97)})
    for raw in [round(x, 3) for x in np.linspace(0.05, 0.99, 40)] * 2:
        assert scaled.confidence("topic", raw) == scaled._calibrate("topic", raw, "")
        assert len(scaled._memo) <= 10
    assert scaled.confidence("intent", 0.42) == 0.42  # nothing fitted: the raw score

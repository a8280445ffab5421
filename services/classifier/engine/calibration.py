"""Calibrated confidences and the urgency thresholds, both fitted on the development split.

The engine's raw confidence for a field is its label's score after the rules: a model probability,
lingua's confidence, or a rule's floor where a rule decided.  Those are scores, not probabilities
of being right.  Here each field gets a map from raw score to the share of labels that were right
at that score on the development split (data/eval.jsonl and data/categories_dev.jsonl): training
rows would make it overconfident (the model has seen them) and the holdout/test split must stay
unseen to measure the result.

- Platt scaling (a logistic regression on the logit of the raw score) for scores on a scale;
  Platt's smoothed targets keep a range with no error on the dev split from becoming a certainty.
- Smoothed rates per source for the region, whose raw score is one constant per source (the text
  named a place, the channel's hint, nothing found) and "nothing found" is often right.

The urgency thresholds are chosen on the same split: the lowest model probability of `high` whose
false alarms (normal messages flagged urgent, rules included) stay within a budget, so recall is as
high as that budget allows; below it, a band of probabilities flags the case for a human look.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

CALIBRATED_FIELDS = ("lang", "topic", "intent", "urgency", "region")
# Normal messages flagged urgent on the dev split: half the 5% target, leaving room for new text.
ALARM_BUDGET = 0.025
# Normal messages (not flagged urgent) sent for a human look by the urgency model alone: a small
# review load on top of the false alarms.
REVIEW_BUDGET = 0.03
_GRID = np.round(np.arange(0.05, 0.991, 0.01), 2)
_EPSILON = 1e-4
_MEMO_SIZE = 50_000


def _logit(values: Sequence[float] | np.ndarray) -> np.ndarray:
    clipped = np.clip(np.asarray(values, dtype=np.float64), _EPSILON, 1.0 - _EPSILON)
    logits: np.ndarray = np.log(clipped / (1.0 - clipped))
    return logits


@dataclass(frozen=True)
class Platt:
    """p(right) = sigmoid(slope · logit(raw) + intercept), at most `ceiling`."""

    slope: float
    intercept: float
    # (N+ + 1)/(N+ + 2): no surer than N right answers on the dev split can show (extrapolating
    # the curve to the top raw scores would otherwise print 100%).
    ceiling: float = 1.0

    def __call__(self, raw: float) -> float:
        # Scalar math: numpy's per-call cost would be most of the engine's per-message budget.
        clipped = min(max(raw, _EPSILON), 1.0 - _EPSILON)
        score = self.slope * math.log(clipped / (1.0 - clipped)) + self.intercept
        return min(1.0 / (1.0 + math.exp(-score)), self.ceiling)

    @classmethod
    def fit(cls, raw: Sequence[float], right: Sequence[bool]) -> Platt:
        hits = np.asarray(right, dtype=bool)
        positives, negatives = int(hits.sum()), int((~hits).sum())
        # Platt (1999): targets (N+ + 1)/(N+ + 2) and 1/(N- + 2) instead of 1 and 0.
        targets = np.where(hits, (positives + 1) / (positives + 2), 1.0 / (negatives + 2))
        x = _logit(raw).reshape(-1, 1)
        # Each row counts as right with weight t and wrong with weight 1 - t (soft targets).
        features = np.vstack([x, x])
        labels = np.concatenate([np.ones(len(x)), np.zeros(len(x))])
        weights = np.concatenate([targets, 1.0 - targets])
        if len(x) == 0:
            return cls(slope=1.0, intercept=0.0)
        ceiling = (positives + 1) / (positives + 2)
        model = LogisticRegression(C=1e4, max_iter=1000).fit(features, labels, sample_weight=weights)
        slope, intercept = float(model.coef_[0, 0]), float(model.intercept_[0])
        if slope <= 0.0:  # the score does not order right from wrong here: one rate for all
            mean = float(targets.mean())
            return cls(slope=0.0, intercept=float(np.log(mean / (1.0 - mean))), ceiling=ceiling)
        return cls(slope=slope, intercept=intercept, ceiling=ceiling)


@dataclass(frozen=True)
class SourceRates:
    """p(right) per source, Laplace-smoothed; an unseen source gets the overall rate."""

    rates: dict[str, float]
    overall: float

    def __call__(self, source: str) -> float:
        return self.rates.get(source, self.overall)

    @classmethod
    def fit(cls, sources: Sequence[str], right: Sequence[bool]) -> SourceRates:
        counts: dict[str, list[int]] = {}
        for source, hit in zip(sources, right, strict=True):
            counts.setdefault(source, [0, 0])[int(hit)] += 1
        rates = {source: (ok + 1) / (ok + wrong + 2) for source, (wrong, ok) in counts.items()}
        overall = (sum(right) + 1) / (len(right) + 2)
        return cls(rates=rates, overall=overall)


@dataclass(frozen=True)
class UrgencyThresholds:
    """Model probability of `high` from which a message is urgent, and from which it is checked."""

    high: float = 0.6
    check: float = 0.5


def tune_urgency(
    p_high: Sequence[float], rule_urgent: Sequence[bool], gold_high: Sequence[bool]
) -> UrgencyThresholds:
    """The lowest thresholds whose dev false alarms / reviews stay within their budgets."""
    p, rules, gold = np.asarray(p_high), np.asarray(rule_urgent, bool), np.asarray(gold_high, bool)
    normal = max(int((~gold).sum()), 1)
    high = next(
        (float(t) for t in _GRID if ((rules | (p >= t)) & ~gold).sum() / normal <= ALARM_BUDGET),
        float(_GRID[-1]),
    )
    not_flagged = ~(rules | (p >= high))
    check = next(
        (
            float(t)
            for t in _GRID
            if t <= high and (not_flagged & (p >= t) & ~gold).sum() / normal <= REVIEW_BUDGET
        ),
        high,
    )
    return UrgencyThresholds(high=high, check=check)


@dataclass(frozen=True)
class Calibration:
    urgency: UrgencyThresholds = field(default_factory=UrgencyThresholds)
    scales: dict[str, Platt] = field(default_factory=dict)
    region: SourceRates | None = None
    rows: int = 0  # dev rows it was fitted on
    # Raw scores arrive rounded to three decimals, so a few thousand values recur: each is
    # calibrated once (five per message were a few per cent of the engine's time).
    _memo: dict[tuple[str, float, str], float] = field(default_factory=dict, compare=False, repr=False)

    def confidence(self, name: str, raw: float, source: str = "") -> float:
        """The calibrated confidence; the raw score where nothing was fitted for the field."""
        key = (name, raw, source)
        known = self._memo.get(key)
        if known is None:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            known = self._memo[key] = self._calibrate(name, raw, source)
        return known

    def _calibrate(self, name: str, raw: float, source: str) -> float:
        if name == "region" and self.region is not None:
            return round(self.region(source), 3)
        scale = self.scales.get(name)
        return round(scale(raw), 3) if scale is not None else raw

    def to_dict(self) -> dict[str, Any]:
        return {
            "urgency": {"high": self.urgency.high, "check": self.urgency.check},
            "scales": {name: [s.slope, s.intercept, s.ceiling] for name, s in self.scales.items()},
            "region": None
            if self.region is None
            else {"rates": self.region.rates, "overall": self.region.overall},
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        region = data.get("region")
        return cls(
            urgency=UrgencyThresholds(**data["urgency"]),
            scales={name: Platt(*values) for name, values in data["scales"].items()},
            region=None if region is None else SourceRates(dict(region["rates"]), float(region["overall"])),
            rows=int(data.get("rows", 0)),
        )

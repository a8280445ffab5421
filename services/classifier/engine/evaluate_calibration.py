"""Reliability of the confidences and what the "check classification" flag catches.

A reliability table puts each field's confidences into ten equal bins and shows, per bin, how
many labels fell in it, their mean confidence and the share that was right; the expected
calibration error (ECE) is the count-weighted mean gap between the two.  Run on a split the
calibration never saw (the holdout), it says whether "80%" means right four times in five.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from schemas import Classification

from .calibration import CALIBRATED_FIELDS
from .dataset import LabelledExample

BINS = 10


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    confidence: float
    accuracy: float


@dataclass(frozen=True)
class Reliability:
    field: str
    bins: list[ReliabilityBin]
    ece: float

    def render(self) -> str:
        lines = [
            f"reliability of {self.field}: ECE {self.ece:.3f}",
            "    bin          count  mean conf  accuracy",
        ]
        for b in self.bins:
            if b.count:
                lines.append(
                    f"    {b.low:.1f}-{b.high:.1f}  {b.count:>9}  {b.confidence:>9.3f}  {b.accuracy:>8.3f}"
                )
        return "\n".join(lines)


def reliability(field: str, confidences: Sequence[float], right: Sequence[bool]) -> Reliability:
    values = np.asarray(confidences, dtype=np.float64)
    hits = np.asarray(right, dtype=np.float64)
    # Bin i holds [i/10, (i+1)/10); a confidence of exactly 1.0 goes into the last bin.
    index = np.minimum((values * BINS).astype(int), BINS - 1)
    bins: list[ReliabilityBin] = []
    gap = 0.0
    for i in range(BINS):
        members = index == i
        count = int(members.sum())
        mean = float(values[members].mean()) if count else 0.0
        accuracy = float(hits[members].mean()) if count else 0.0
        gap += count * abs(mean - accuracy)
        bins.append(ReliabilityBin(i / BINS, (i + 1) / BINS, count, mean, accuracy))
    return Reliability(field, bins, gap / len(values) if len(values) else 0.0)


def is_right(name: str, example: LabelledExample, result: Classification) -> bool:
    return str(getattr(example, name)) == str(getattr(result, name))


def reliabilities(
    examples: Sequence[LabelledExample], results: Sequence[Classification]
) -> list[Reliability]:
    pairs = list(zip(examples, results, strict=True))
    return [
        reliability(name, [r.confidence[name] for _, r in pairs], [is_right(name, e, r) for e, r in pairs])
        for name in CALIBRATED_FIELDS
    ]


def check_summary(examples: Sequence[LabelledExample], results: Sequence[Classification]) -> dict[str, float]:
    """How many cases are flagged, how right the flagged and the unflagged are, and the urgent
    cases the flag catches that the urgency label missed."""
    pairs = list(zip(examples, results, strict=True))
    flagged = [(e, r) for e, r in pairs if r.needs_check]
    unflagged = [(e, r) for e, r in pairs if not r.needs_check]
    missed_urgent = [r for e, r in pairs if e.urgency == "high" and r.urgency != "high"]
    return {
        "check_flagged_share": len(flagged) / len(pairs) if pairs else 0.0,
        "check_all_right_flagged": _all_right_share(flagged),
        "check_all_right_unflagged": _all_right_share(unflagged),
        "urgent_missed_but_flagged": (
            sum(r.needs_check for r in missed_urgent) / len(missed_urgent) if missed_urgent else 1.0
        ),
    }


def _all_right_share(pairs: Sequence[tuple[LabelledExample, Classification]]) -> float:
    if not pairs:
        return 0.0
    return sum(all(is_right(name, e, r) for name in CALIBRATED_FIELDS) for e, r in pairs) / len(pairs)

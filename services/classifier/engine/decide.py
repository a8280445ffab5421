"""The decisions on top of the model's probabilities: topic with its keyword prior, intent and
urgency with their rules (raw scores; engine.py calibrates them)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import rules, topics
from .calibration import UrgencyThresholds
from .model import HeadPrediction

# The model must be this sure of a complaint to overrule a plain «спасибо» (sarcasm happens).
_COMPLAINT_OVER_THANKS = 0.7
# Bonus per topic keyword (at most two counted) added to the model's probabilities.
_KEYWORD_BONUS = 0.2
_KEYWORDS_COUNTED = 2
# A topic from keywords alone (a language the model never saw) is a guess worth a human look.
_KEYWORDS_ONLY_CONFIDENCE = 0.6
# Normal, but half of a described danger was seen: the raw urgency score is at most this.
_UNCERTAIN_URGENCY_CONFIDENCE = 0.5


def head_value(head: HeadPrediction, row: int) -> tuple[str, float]:
    return head.labels[row], round(head.confidences[row], 3)


def topic_scores(
    head: HeadPrediction, normalised: Sequence[str], langs: Sequence[str]
) -> list[tuple[str, float]]:
    """Model probabilities plus a bounded keyword prior, renormalised (the batch at once).

    The model never saw a language outside ru/kk/en, so there the keywords alone decide when
    they name a topic in the remit (Turkish «emekli», Uzbek «nafaqa», German «Rente»).
    """
    hits = np.zeros(head.probabilities.shape)
    for row, text in enumerate(normalised):
        found = topics.keyword_hits(text)
        hits[row] = [found.get(label, 0) for label in head.classes]
    probabilities = head.probabilities.copy()
    foreign = [row for row, lang in enumerate(langs) if lang == "other" and _in_remit_hits(hits[row], head)]
    probabilities[foreign] = 0.0
    scores = probabilities + _KEYWORD_BONUS * np.minimum(hits, _KEYWORDS_COUNTED)
    scores = scores / scores.sum(axis=1, keepdims=True)
    best = scores.argmax(axis=1)
    confidences = scores[np.arange(len(best)), best]
    confidences[foreign] = np.minimum(confidences[foreign], _KEYWORDS_ONLY_CONFIDENCE)
    return [(head.classes[i], round(float(c), 3)) for i, c in zip(best, confidences, strict=True)]


def _in_remit_hits(row_hits: np.ndarray, head: HeadPrediction) -> bool:
    return any(count for label, count in zip(head.classes, row_hits, strict=True) if label != "other")


def probability(head: HeadPrediction, row: int, label: str) -> float:
    if label not in head.classes:
        return 0.0
    return float(head.probabilities[row, head.classes.index(label)])


def decide_intent(head: HeadPrediction, row: int, signals: rules.RuleSignals) -> tuple[str, float]:
    intent, confidence = head_value(head, row)
    # «Спасибо, что полгода не платите» is sarcasm; thanks for a solved problem never is.
    sarcastic = probability(head, row, "complaint") >= _COMPLAINT_OVER_THANKS and not signals.resolved_thanks
    if signals.gratitude and intent != "gratitude" and not sarcastic:
        return "gratitude", max(0.8, round(probability(head, row, "gratitude"), 3))
    if signals.proposal and intent not in ("proposal", "gratitude"):
        return "proposal", max(0.8, round(probability(head, row, "proposal"), 3))
    if signals.not_an_appeal and not signals.gratitude:
        return "other", max(0.8, round(probability(head, row, "other"), 3))
    if signals.judgement and intent in ("other", "question"):
        return "complaint", max(0.7, round(probability(head, row, "complaint"), 3))
    if signals.grievance_question and intent == "question":
        return "complaint", max(0.7, round(probability(head, row, "complaint"), 3))
    if signals.how_to and intent == "complaint":
        return "question", max(0.7, round(probability(head, row, "question"), 3))
    return intent, confidence


def decide_urgency(
    head: HeadPrediction, row: int, signals: rules.RuleSignals, thresholds: UrgencyThresholds
) -> tuple[str, float, bool]:
    """(urgency, raw score, uncertain): the rules, else the model at its dev-tuned threshold.

    Uncertain means normal but worth a human look: half of a described danger, or a model
    probability of `high` in the band just below the threshold.
    """
    model_high = probability(head, row, "high")
    if signals.resolved_thanks:
        return "normal", round(1.0 - model_high, 3), False
    if signals.urgent:
        return "high", round(max(0.9, model_high), 3), False
    if model_high >= thresholds.high:
        return "high", round(model_high, 3), False
    if signals.urgency_uncertain:
        return "normal", round(min(1.0 - model_high, _UNCERTAIN_URGENCY_CONFIDENCE), 3), True
    return "normal", round(1.0 - model_high, 3), model_high >= thresholds.check

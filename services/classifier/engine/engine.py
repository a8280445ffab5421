"""The classifier engine: every field of a Classification computed from the text, in batches."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from channels.pii import find_pii, pii_kinds
from schemas import Classification, FaqMatch, Intent, PiiSpan, Topic, Urgency

from . import rules
from .calibration import CALIBRATED_FIELDS, Calibration, UrgencyThresholds
from .clusters import Signature, signatures_of
from .danger import DangerScan, scan_from_cues
from .decide import decide_intent, decide_urgency, topic_scores
from .faq import FaqEntry, FaqIndex
from .language import LanguageIdentifier, LanguageResult
from .model import DEFAULT_MODEL_PATH, HeadPrediction, TextModel, cue_matrix
from .regions import Gazetteer, RegionResult
from .text import model_text

log = logging.getLogger(__name__)

# A calibrated confidence below this on any field flags the case "check classification"
# (the service takes it from ClassifierSettings.check_below).
DEFAULT_CHECK_BELOW = 0.6


@dataclass(frozen=True)
class ClassifyInput:
    id: str
    text: str
    region_hint: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Prepared:
    """What every field starts from: languages, the model text and the heads' predictions."""

    languages: list[LanguageResult]
    normalised: list[str]
    heads: dict[str, HeadPrediction]
    cues: np.ndarray  # danger cues per text (model.cue_matrix), for the urgency model and rules


class Engine:
    def __init__(
        self,
        model: TextModel,
        faq: FaqIndex,
        gazetteer: Gazetteer,
        check_below: float = DEFAULT_CHECK_BELOW,
        calibration: Calibration | None = None,
    ) -> None:
        self.model = model
        self.faq = faq
        self.gazetteer = gazetteer
        self.languages = LanguageIdentifier()
        self.check_below = check_below
        # The model's own calibration unless one is given; without either the confidences are the
        # raw scores and the thresholds the defaults.
        self.calibration = calibration or model.calibration or Calibration()

    @property
    def thresholds(self) -> UrgencyThresholds:
        return self.calibration.urgency

    def uncalibrated(self) -> Engine:
        """The same engine reporting raw scores as confidences (to fit or compare calibration)."""
        raw = Calibration(urgency=self.thresholds)
        return Engine(self.model, self.faq, self.gazetteer, self.check_below, raw)

    @property
    def model_version(self) -> str:
        return self.model.version

    @classmethod
    def load(cls, model_path: Path | None = None, check_below: float = DEFAULT_CHECK_BELOW) -> Engine:
        """Load the trained artifact; train, calibrate (and save) it first when missing or stale.

        The path comes from the caller (the service's JAUAP_MODEL_PATH setting, the CLI's
        --model); without one it is the default under .cache/models/.
        """
        from .training import load_or_train  # training builds Engines to calibrate them

        return cls(load_or_train(model_path or DEFAULT_MODEL_PATH), FaqIndex.load(), Gazetteer(), check_below)

    def add_answers(self, entries: Iterable[FaqEntry]) -> None:
        """Make approved past answers available as suggestions."""
        self.faq.add_answers(entries)

    def classify(self, item: ClassifyInput) -> Classification:
        return self.classify_batch([item])[0]

    def classify_batch(self, items: Sequence[ClassifyInput]) -> list[Classification]:
        """Everything but cluster_id (see assign_clusters); one vectorisation for the batch."""
        if not items:
            return []
        prepared = self.prepare([item.text for item in items])
        languages, normalised, heads = prepared.languages, prepared.normalised, prepared.heads
        topic_results = topic_scores(heads["topic"], normalised, [lang.lang for lang in languages])
        suggestions = self.faq.best_matches(normalised, [lang.lang for lang in languages])
        dangers = [scan_from_cues(row) for row in prepared.cues.tolist()]  # lists: numpy per item is slow
        return [
            self._classification(
                item,
                i,
                languages[i],
                normalised[i],
                heads,
                dangers[i],
                topic_results[i],
                suggestions[i],
            )
            for i, item in enumerate(items)
        ]

    def prepare(self, texts: Sequence[str]) -> Prepared:
        languages = self.languages.detect_batch(texts)
        normalised = [
            model_text(text, lang.latin_kazakh) for text, lang in zip(texts, languages, strict=True)
        ]
        cues = cue_matrix(normalised)
        heads = self.model.predict(self.model.vectorise(normalised), cues)
        return Prepared(languages, normalised, heads, cues)

    def signatures(self, items: Sequence[ClassifyInput]) -> list[Signature]:
        return signatures_of([item.text for item in items])

    def _classification(
        self,
        item: ClassifyInput,
        row: int,
        language: LanguageResult,
        normalised: str,
        heads: dict[str, HeadPrediction],
        danger: DangerScan,
        topic_result: tuple[str, float],
        faq: list[FaqMatch],
    ) -> Classification:
        signals = rules.signals(normalised, danger)
        topic, topic_confidence = topic_result
        if signals.not_an_appeal:
            topic, topic_confidence = Topic.other.value, max(topic_confidence, 0.8)
        intent, intent_confidence = decide_intent(heads["intent"], row, signals)
        urgency, urgency_confidence, urgency_uncertain = decide_urgency(
            heads["urgency"], row, signals, self.thresholds
        )
        region: RegionResult = self.gazetteer.region(item.text, item.region_hint, language.latin_kazakh)
        spans: list[PiiSpan] = find_pii(item.text)
        needs_analysis = signals.needs_analysis and topic != Topic.other.value
        raw = {
            "lang": language.confidence,
            "topic": topic_confidence,
            "intent": intent_confidence,
            "urgency": urgency_confidence,
            "region": region.confidence,
        }
        confidence = {
            name: self.calibration.confidence(name, raw[name], region.source) for name in CALIBRATED_FIELDS
        }
        check = [name for name in CALIBRATED_FIELDS if confidence[name] < self.check_below]
        if urgency_uncertain and "urgency" not in check:
            check.append("urgency")
        return Classification(
            lang=language.lang,
            topic=Topic(topic),
            intent=Intent(intent),
            urgency=Urgency(urgency),
            region=region.code,
            pii=pii_kinds(spans),
            pii_spans=spans,
            needs_analysis=needs_analysis,
            cluster_id=None,
            faq=faq,
            confidence=confidence,
            needs_check=bool(check),
            check_fields=check,
            model_version=self.model.version,
        )

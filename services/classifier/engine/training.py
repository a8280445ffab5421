"""Training and calibration: train.jsonl → model heads; the dev split → thresholds and confidences.

The dev split (data/eval.jsonl and data/categories_dev.jsonl) is never trained on; the holdout and
the categories' test half are never used here at all, so `jauap classify --evaluate` on them
measures the calibration honestly.  The model version is a hash of the training and dev data (and
the feature code version): the same data always gives the same version, a new label a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from . import rules
from .calibration import CALIBRATED_FIELDS, Calibration, Platt, SourceRates, tune_urgency
from .danger import scan_from_cues
from .dataset import DATA_DIR, TRAIN_PATH, LabelledExample, data_fingerprint, load_examples
from .decide import probability
from .engine import ClassifyInput, Engine, Prepared
from .evaluate_calibration import is_right
from .faq import FaqIndex
from .language import LanguageIdentifier
from .model import DEFAULT_MODEL_PATH, FEATURES_VERSION, TextModel
from .regions import Gazetteer
from .text import model_text

log = logging.getLogger(__name__)

DEV_PATHS = (DATA_DIR / "eval.jsonl", DATA_DIR / "categories_dev.jsonl")
_BATCH = 256


def load_dev(paths: Sequence[Path] = DEV_PATHS) -> list[LabelledExample]:
    return [example for path in paths for example in load_examples(path)]


def fingerprint_of(train: Sequence[LabelledExample], dev: Sequence[LabelledExample]) -> str:
    # The separator row keeps a row moved from one file to the other from hashing the same.
    separator = LabelledExample(text="--dev--", lang="other", topic="other", intent="other", urgency="normal")
    return data_fingerprint([*train, separator, *dev], FEATURES_VERSION)


def current_fingerprint(train_path: Path = TRAIN_PATH, dev_paths: Sequence[Path] = DEV_PATHS) -> str:
    return fingerprint_of(load_examples(train_path), load_dev(dev_paths))


def train_model(train_path: Path = TRAIN_PATH, dev_paths: Sequence[Path] = DEV_PATHS) -> TextModel:
    """Train the heads on train_path, then calibrate them on the dev split."""
    examples = load_examples(train_path)
    dev = load_dev(dev_paths)
    results = LanguageIdentifier().detect_batch([example.text for example in examples])
    texts = [
        model_text(example.text, result.latin_kazakh)
        for example, result in zip(examples, results, strict=True)
    ]
    model = TextModel.train(texts, examples, fingerprint_of(examples, dev))
    model.calibration = calibrate(model, dev)
    return model


def calibrate(model: TextModel, dev: Sequence[LabelledExample]) -> Calibration:
    """Urgency thresholds first (the urgency label depends on them), then every field's scale."""
    faq, gazetteer = FaqIndex.load(), Gazetteer()
    prepared = Engine(model, faq, gazetteer).prepare([example.text for example in dev])
    p_high, rule_urgent = urgency_evidence(prepared)
    thresholds = tune_urgency(p_high, rule_urgent, [example.urgency == "high" for example in dev])
    # Raw scores at the tuned thresholds: what the scales are fitted on.
    raw_engine = Engine(model, faq, gazetteer, calibration=Calibration(urgency=thresholds))
    items = [ClassifyInput(id=str(i), text=e.text, region_hint=e.region_hint) for i, e in enumerate(dev)]
    results = [
        result
        for start in range(0, len(items), _BATCH)
        for result in raw_engine.classify_batch(items[start : start + _BATCH])
    ]
    pairs = list(zip(dev, results, strict=True))
    scales = {
        name: Platt.fit([r.confidence[name] for r in results], [is_right(name, e, r) for e, r in pairs])
        for name in CALIBRATED_FIELDS
        if name != "region"
    }
    latin = [lang.latin_kazakh for lang in prepared.languages]
    sources = [gazetteer.region(e.text, e.region_hint, kk).source for e, kk in zip(dev, latin, strict=True)]
    region = SourceRates.fit(sources, [is_right("region", e, r) for e, r in pairs])
    return Calibration(urgency=thresholds, scales=scales, region=region, rows=len(dev))


def urgency_evidence(prepared: Prepared) -> tuple[list[float], list[bool]]:
    """Per prepared text: the model's probability of `high` and whether a rule marks it urgent."""
    head = prepared.heads["urgency"]
    p_high = [probability(head, row, "high") for row in range(len(prepared.normalised))]
    return p_high, [
        rules.signals(text, scan_from_cues(cues)).urgent
        for text, cues in zip(prepared.normalised, prepared.cues.tolist(), strict=True)
    ]


def load_or_train(model_path: Path | None = None) -> TextModel:
    """The artifact at model_path (default .cache/models/), retrained when missing or stale."""
    path = model_path or DEFAULT_MODEL_PATH
    fingerprint = current_fingerprint()
    if path.exists():
        model = TextModel.load(path)
        if model.fingerprint == fingerprint and model.calibration is not None:
            return model
        log.warning("classifier model at %s is stale (training or dev data changed); retraining", path)
    else:
        log.warning("no classifier model at %s; training it now from %s", path, TRAIN_PATH)
    model = train_model()
    try:
        model.save(path)
    except OSError as error:
        log.warning("could not save the classifier model to %s: %s", path, error)
    return model

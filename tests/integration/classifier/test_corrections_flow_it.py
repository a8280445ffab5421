"""Operators' corrections flow into the model: `jauap export-labels` (from the real store) →
`jauap add-labels` → `jauap train`. The new model's version differs from the old one, retraining on
the same data reproduces it exactly, and every classification carries it."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from jauap import classify_cmd, export_labels_cmd
from services.classifier.engine import ClassifyInput, Engine
from services.classifier.engine.dataset import TRAIN_PATH
from services.classifier.engine.faq import FaqIndex
from services.classifier.engine.model import FEATURES_VERSION, TextModel
from services.classifier.engine.regions import Gazetteer
from services.classifier.engine.training import current_fingerprint
from services.desk.corrections import MongoCorrections
from services.desk.settings import DeskSettings

pytestmark = pytest.mark.integration

# A message the training data does not hold, corrected by an operator from `normal` to `high`.
TEXT = "Отца-пенсионера третий день не выпускают из подвала, где он работал сторожем, без воды {tag}"


async def test_corrections_change_the_model_version_reproducibly(
    db: AsyncDatabase[dict[str, Any]], db_name: str, tmp_path: Path
) -> None:
    text = TEXT.format(tag=uuid.uuid4().hex[:6])
    await MongoCorrections(db).add(
        {
            "_id": uuid.uuid4().hex,
            "case_id": "telegram:1",
            "by": "operator",
            "role": "operator",
            "at": datetime.now(UTC),
            "changes": {
                "urgency": {"old": "normal", "new": "high"},
                "topic": {"old": "other", "new": "pension"},
            },
            "text": text,
            "model_version": "clf-old",
        }
    )
    exported = io.StringIO()
    settings = DeskSettings(mongo_db=db_name)
    assert await export_labels_cmd.export(settings, None, exported) == 1
    labels = tmp_path / "labels.jsonl"
    labels.write_text(exported.getvalue(), encoding="utf-8")

    train = tmp_path / "train.jsonl"
    shutil.copyfile(TRAIN_PATH, train)
    assert await asyncio.to_thread(classify_cmd.add_labels_main, [str(labels), "--train", str(train)]) == 0
    added = json.loads(train.read_text(encoding="utf-8").splitlines()[-1])
    assert (added["text"], added["urgency"], added["topic"]) == (text, "high", "pension")

    first, second = tmp_path / "first.joblib", tmp_path / "second.joblib"
    for output in (first, second):
        assert (
            await asyncio.to_thread(classify_cmd.train_main, ["--data", str(train), "--output", str(output)])
            == 0
        )
    new, again = TextModel.load(first), TextModel.load(second)
    old_version = f"clf-{FEATURES_VERSION}-{current_fingerprint(TRAIN_PATH)}"
    assert new.version != old_version
    assert again.version == new.version and again.calibration == new.calibration

    # Engine.load would retrain: the artifact's data is not the repository's.
    engine = Engine(new, FaqIndex.load(), Gazetteer())
    results = engine.classify_batch([ClassifyInput(id="1", text=text), ClassifyInput(id="2", text="Рахмет!")])
    assert {result.model_version for result in results} == {new.version}

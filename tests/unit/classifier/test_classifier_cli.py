from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from jauap import classify_cmd
from services.classifier.engine import Engine
from services.classifier.engine.labels import import_labels

pytestmark = pytest.mark.unit

FIELDS = {
    "id", "lang", "topic", "intent", "urgency", "region", "pii", "pii_spans", "needs_analysis",
    "cluster_id", "faq", "confidence", "needs_check", "check_fields", "model_version",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _shared_engine(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:
    """The CLI loads an engine; hand it the session's instead of loading another."""
    monkeypatch.setattr(Engine, "load", classmethod(lambda cls, model_path=None: engine))


def _run(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    code = classify_cmd.main(argv)
    return code, out.getvalue(), err.getvalue()


def test_classify_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [
        {"id": "a", "text": "Когда индексация пенсий? Я живу в Павлодаре"},
        {"id": "b", "text": "Когда индексация пенсий? Я живу в Павлодаре!!"},
        {"id": 7, "text": "Road is broken", "region_hint": "KZ-71"},
    ]
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    code, out, _ = _run(monkeypatch, ["--batch-size", "2"], stdin)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [row["id"] for row in rows] == ["a", "b", "7"]
    assert all(set(row) == FIELDS for row in rows)
    assert rows[0]["cluster_id"] == rows[1]["cluster_id"] != rows[2]["cluster_id"]
    assert rows[0]["region"] == "KZ-55" and rows[2]["region"] == "KZ-71"


def test_bad_lines_become_errors_not_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = "\n".join(
        ["not json", '["list"]', '{"text": "no id"}', '{"id": "x", "text": ""}',
         '{"id": "y", "text": 5}', '{"id": "z", "text": "Рахмет!", "at": "yesterday"}',
         '{"id": "ok", "text": "Рахмет!"}']
    )  # fmt: skip
    code, out, err = _run(monkeypatch, [], stdin)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [row.get("id") for row in rows] == [None, None, None, "x", "y", "z", "ok"]
    assert all("error" in row for row in rows[:6])
    assert "error" not in rows[6] and rows[6]["intent"] == "gratitude"
    assert "6 input line(s)" in err


def test_evaluate_jsonl(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    rows: list[dict[str, Any]] = [
        {"text": "Зарплату не платят 3 месяца", "lang": "ru", "topic": "labour_relations",
         "intent": "complaint", "urgency": "high", "region": None, "pii": []},
        {"text": "Рахмет!", "lang": "kk", "topic": "other", "intent": "gratitude",
         "urgency": "normal", "region": "KZ-23", "pii": [], "region_hint": "KZ-23"},
    ]  # fmt: skip
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    code, out, _ = _run(monkeypatch, ["--evaluate", str(gold)])
    assert code == 0
    for needle in ("topic: accuracy", "macro-F1", "urgency_recall_high", "region_exact",
                   "pii_kinds_exact", "confusion for intent"):  # fmt: skip
        assert needle in out
    code, out, _ = _run(monkeypatch, ["--evaluate", str(gold), "--json"])
    assert json.loads(out)["rows"] == 2


def test_evaluate_kzgovdata_csv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    csv_path = tmp_path / "data.csv"
    csv_path.write_text(
        "id,text_kz,text_ru,category,urgency,region,status,reply_text,duplicate\n"
        "1,Жолда шұңқыр көп.,На дороге много ям.,дороги,высокая,Алматы,новая,ок,False\n"
        "2,Жәрдемақы кешігіп жатыр.,Пособие задерживают.,соцподдержка,средняя,Астана,новая,ок,"
        "False\n",
        encoding="utf-8",
    )
    code, out, _ = _run(monkeypatch, ["--evaluate", str(csv_path), "--json"])
    report = json.loads(out)
    assert code == 0 and report["rows"] == 4
    assert {"lang_accuracy", "out_of_remit_precision", "out_of_remit_recall"} <= set(report)


def test_bench_json(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = _run(monkeypatch, ["--bench", "--json", "--messages", "64", "--batch-size", "16"])
    result = json.loads(out)
    assert code == 0
    assert result["messages"] == 64 and result["messages_per_second"] > 0
    assert result["peak_rss_mb"] > 0


@pytest.mark.parametrize("entry", [classify_cmd.main, classify_cmd.train_main, classify_cmd.add_labels_main])
def test_help(entry: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        entry(["--help"])
    assert exit_info.value.code == 0
    assert "usage: jauap" in capsys.readouterr().out


def _fake_predictor(texts: Any) -> list[dict[str, Any]]:
    return [{"lang": "ru", "topic": "other", "intent": "question", "urgency": "normal",
             "region": None, "pii": []} for _ in texts]  # fmt: skip


def test_add_labels_appends_dedupes_and_updates(tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    train.write_text(
        json.dumps({"text": "Когда пенсия?", "lang": "ru", "topic": "pension",
                    "intent": "question", "urgency": "normal", "region": None, "pii": []},
                   ensure_ascii=False) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    lines = [
        json.dumps({"id": "q1", "text": "Новый вопрос про АСП", "topic": "social_benefits"},
                   ensure_ascii=False),
        json.dumps({"text": "когда   пенсия?", "lang": "ru", "topic": "pension",
                    "intent": "question", "urgency": "normal"}, ensure_ascii=False),
        json.dumps({"text": "Новый вопрос про АСП", "topic": "social_benefits"},
                   ensure_ascii=False),
    ]  # fmt: skip
    outcome = import_labels(lines, train, predict=_fake_predictor)
    assert (outcome.added, outcome.updated, outcome.unchanged, outcome.errors) == (1, 0, 2, [])
    rows = [json.loads(line) for line in train.read_text(encoding="utf-8").splitlines()]
    assert rows[-1]["topic"] == "social_benefits" and rows[-1]["intent"] == "question"
    fix = json.dumps({"text": "Когда пенсия?", "topic": "pension", "intent": "complaint",
                      "lang": "ru", "urgency": "normal"}, ensure_ascii=False)  # fmt: skip
    assert import_labels([fix], train, predict=_fake_predictor).updated == 1


def test_add_labels_reports_each_bad_line_and_writes_nothing(tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    train.write_text("", encoding="utf-8")
    lines = ["{oops", '{"text": "ok", "topic": "weather"}', '{"topic": "pension"}',
             '{"text": "x", "region": "KZ-00"}', '{"text": "fine", "topic": "pension"}']  # fmt: skip
    outcome = import_labels(lines, train, predict=_fake_predictor)
    assert [error.split(":")[0] for error in outcome.errors] == [
        "line 1", "line 2", "line 3", "line 4"
    ]  # fmt: skip
    assert "topic" in outcome.errors[1] and "KZ-00" in outcome.errors[3]
    assert train.read_text(encoding="utf-8") == ""


def test_add_labels_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    train.write_text("", encoding="utf-8")
    export = tmp_path / "export.jsonl"
    export.write_text('{"text": "bad", "urgency": "urgent"}\n', encoding="utf-8")
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    assert classify_cmd.add_labels_main([str(export), "--train", str(train)]) == 1
    assert "line 1: urgency" in err.getvalue()

"""What a failed fault scenario prints about a service, read from a log in the services' JSON form."""

import json
from pathlib import Path

from tests.fault.diagnose import _lines, _stacks, problems


def _log(tmp_path: Path, *lines: dict[str, object]) -> Path:
    path = tmp_path / "desk.log"
    path.write_text("not json: uvicorn's banner\n" + "".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_the_task_stacks_are_shown_innermost_last_with_short_paths(tmp_path: Path) -> None:
    frames = [f"/work/main/.venv/lib/python3.11/site-packages/aiokafka/x.py:{n} f{n}" for n in range(8)]
    path = _log(tmp_path, {"level": "warning", "logger": "jauap.tasks", "event": "task stack",
                           "task": "Task-198", "frames": frames})  # fmt: skip
    [shown] = _stacks(_lines(path, 0))
    assert shown.startswith("  Task-198: aiokafka/x.py:3 f3") and shown.endswith("aiokafka/x.py:7 f7")


def test_the_last_warnings_and_errors_are_shown_but_not_the_stacks_themselves(tmp_path: Path) -> None:
    path = _log(
        tmp_path,
        {"level": "info", "logger": "desk", "event": "case created"},
        {
            "level": "error",
            "logger": "aiokafka.consumer.fetcher",
            "event": "Unexpected error in fetcher routine",
        },
        {"level": "warning", "logger": "jauap.tasks", "event": "task stack"},
    )
    [problem] = problems(path)
    assert "Unexpected error in fetcher routine" in problem

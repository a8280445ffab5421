"""`jauap bench webform`: wrk's summary is read right, deliveries are checked exactly, and the wrk script
posts distinct valid forms and keeps the id of every accepted one (wrk against a stand-in server)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from channels.webform import WebFormQuestion
from jauap.bench import webform

pytestmark = pytest.mark.unit

SUMMARY = (
    'Running 1s test\nJAUAP-WRK {"requests":3000,"duration_us":2000000,"p50_us":4000,"p90_us":9000,'
    '"p99_us":31000,"max_us":80000,"mean_us":5000.0,"errors_connect":0,"errors_read":0,'
    '"errors_write":0,"errors_status":2,"errors_timeout":1}\n'
)


def test_the_summary_line_is_read_in_milliseconds_and_requests_per_second() -> None:
    summary = webform.parse_wrk_output(SUMMARY)
    assert summary.rps == 1500
    assert (summary.p50_ms, summary.p99_ms, summary.max_ms) == (4.0, 31.0, 80.0)
    assert summary.errors["status"] == 2 and summary.errors["timeout"] == 1


def test_no_summary_line_is_an_error_showing_what_wrk_said() -> None:
    with pytest.raises(RuntimeError, match="unable to connect"):
        webform.parse_wrk_output("unable to connect to 127.0.0.1:18104 Connection refused")


def test_each_accepted_question_must_be_on_the_topic_exactly_once() -> None:
    on_topic = Counter({"a": 1, "b": 2, "late": 1})
    assert webform.delivery_check(["a", "b", "c"], on_topic) == {
        "accepted": 3,
        "accepted_distinct": 3,
        "accepted_missing": 1,
        "accepted_twice": 1,
        "unanswered_published": 1,
    }


class StandIn(BaseHTTPRequestHandler):
    """Validates each body as intake does and answers 202 with a new id, like `POST /api/questions`."""

    bodies: ClassVar[list[bytes]] = []
    ids: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        WebFormQuestion.model_validate_json(body)
        question_id = f"webform:{uuid.uuid4()}"
        StandIn.bodies.append(body)
        StandIn.ids.append(question_id)
        answer = json.dumps({"id": question_id}).encode()
        self.send_response(202)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_the_wrk_script_posts_distinct_valid_forms_and_records_every_accepted_id(
    stand_in: int, tmp_path: Path
) -> None:
    assert shutil.which("wrk"), "wrk is not installed: `make install` (jauap stack install) installs it"
    webform.write_texts(tmp_path / "texts.txt")
    command = [
        "wrk", "-t2", "-c4", "-d1s", "-s", str(webform.LUA_SCRIPT), f"http://127.0.0.1:{stand_in}",
        "--", "run1", str(tmp_path), str(tmp_path / "texts.txt"),
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout
    summary = webform.parse_wrk_output(output)
    assert summary.requests > 10 and summary.errors["status"] == 0
    assert len(set(StandIn.bodies)) == len(StandIn.bodies)
    accepted = webform.accepted_ids(tmp_path)
    assert len(set(accepted)) == len(accepted) == summary.requests
    assert set(accepted) <= set(StandIn.ids)

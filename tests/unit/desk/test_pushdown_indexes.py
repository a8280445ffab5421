"""The desk starts without its pushdown indexes, with a warning saying what to check, when FerretDB's
PostgreSQL cannot be reached."""

from __future__ import annotations

import logging
import time

import pytest

from services.desk import pushdown_indexes

pytestmark = pytest.mark.unit


async def test_an_unreachable_postgresql_is_a_warning_not_a_failed_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="desk.pushdown_indexes"):
        await pushdown_indexes.ensure("postgres://nobody@127.0.0.1:1/postgres", "jauap")
    assert time.monotonic() - started < pushdown_indexes.CONNECT_TIMEOUT_S + 5
    assert "JAUAP_FERRETDB_POSTGRES_URL" in caplog.text


def test_every_collection_gets_id_and_cases_their_queue_fields() -> None:
    assert pushdown_indexes.wanted("sessions") == ("_id",)
    assert {"_id", "status", "channel", "urgency", "cluster_id"} <= set(pushdown_indexes.wanted("cases"))

"""Which failures are outages, refusals or neither: decided by the whole exception chain."""

from __future__ import annotations

from aiokafka.errors import KafkaConnectionError
from pymongo.errors import DuplicateKeyError, NetworkTimeout

from services.runtime.errors import Outage, Refused, is_outage, is_refusal, outage_dependency


def raised_from(outer: Exception, cause: BaseException) -> Exception:
    try:
        raise outer from cause
    except Exception as exc:
        return exc


def test_store_broker_and_network_failures_are_outages_of_their_dependency() -> None:
    assert outage_dependency(NetworkTimeout("timed out")) == "store"
    assert outage_dependency(KafkaConnectionError("no broker")) == "kafka"
    assert outage_dependency(ConnectionRefusedError()) == "network"
    assert outage_dependency(Outage("sms gateway down", dependency="sms")) == "sms"


def test_an_outage_wrapped_in_another_error_is_still_an_outage() -> None:
    wrapped = raised_from(RuntimeError("could not save case"), NetworkTimeout("timed out"))
    assert is_outage(wrapped) and outage_dependency(wrapped) == "store"


def test_bugs_and_wrong_requests_are_not_outages() -> None:
    assert not is_outage(KeyError("x"))
    assert not is_outage(DuplicateKeyError("E11000"))
    assert not is_outage(Refused("no"))


def test_a_refusal_is_found_anywhere_in_the_chain() -> None:
    assert is_refusal(Refused("no"))
    assert is_refusal(raised_from(RuntimeError("wrapped"), Refused("no")))
    assert not is_refusal(ValueError("bug"))

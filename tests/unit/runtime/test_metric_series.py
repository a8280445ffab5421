"""Every known label combination of the business metrics exists from the start, at 0, so a rate or an
alert over it sees 0 instead of nothing (docs/architecture.md, observability)."""

from __future__ import annotations

from typing import get_args

from prometheus_client import REGISTRY

import services.classifier.handlers
import services.desk.metrics
import services.intake.handlers
import services.responder.metrics
from schemas import Channel
from schemas.questions import Intent, Lang, Topic
from services.desk.cases import OPEN_STATUSES
from services.runtime.deadletter import declare_topic_metrics

_LOADED = (services.classifier.handlers, services.desk.metrics, services.intake.handlers)


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_per_channel_series_exist_at_start() -> None:
    for channel in Channel:
        assert _value("jauap_questions_received_total", channel=channel.value) is not None
        assert _value("jauap_time_to_first_answer_seconds_count", channel=channel.value) is not None
        for outcome in services.responder.metrics.OUTCOMES:
            assert _value("jauap_answers_delivered_total", channel=channel.value, outcome=outcome) is not None


def test_every_classification_and_open_status_exists_at_start() -> None:
    for topic in Topic:
        for lang in get_args(Lang):
            for intent in Intent:
                labels = {"topic": topic.value, "lang": lang, "intent": intent.value}
                assert _value("jauap_questions_classified_total", **labels) is not None
    for status in OPEN_STATUSES:
        assert _value("jauap_cases_open", status=status.value) is not None


def test_a_subscribed_topic_declares_its_dlq_retry_and_outage_series() -> None:
    declare_topic_metrics("unit.series.topic")
    for reason in ("invalid", "refused", "failed"):
        assert _value("jauap_dlq_messages_total", topic="unit.series.topic", reason=reason) == 0
    assert _value("jauap_handler_retries_total", topic="unit.series.topic") == 0
    for dependency in ("store", "kafka", "network"):
        assert _value("jauap_outage_retries_total", topic="unit.series.topic", dependency=dependency) == 0
        assert _value("jauap_consumers_waiting_out_outage", dependency=dependency) is not None


def test_intake_and_draft_series_exist_at_start() -> None:
    import services.intake.whatsapp_webhook  # noqa: F401  (declares the WhatsApp status series)

    for channel in Channel:
        assert _value("jauap_intake_ignored_total", channel=channel.value) is not None
    for status in ("sent", "delivered", "read", "failed"):
        assert _value("jauap_whatsapp_statuses_total", status=status) is not None
    for outcome in ("created", "approved", "rejected"):
        assert _value("jauap_drafts_total", outcome=outcome) is not None


def test_every_region_and_none_exists_at_start() -> None:
    from schemas import REGIONS

    for region in (*REGIONS, "none"):
        assert _value("jauap_questions_by_region_total", region=region) is not None

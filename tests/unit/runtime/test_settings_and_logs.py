import json
import logging
from typing import ClassVar

import pytest
from pydantic import ValidationError

from services.runtime.logs import JsonFormatter, redact
from services.runtime.settings import ServiceSettings


class SecretSettings(ServiceSettings):
    DEV_ONLY_DEFAULTS: ClassVar[tuple[str, ...]] = ("api_secret",)
    api_secret: str = "dev-secret"


def test_development_accepts_dev_defaults() -> None:
    assert SecretSettings(environment="development").api_secret == "dev-secret"


def test_production_refuses_dev_defaults_and_names_the_variable() -> None:
    with pytest.raises(ValidationError, match="JAUAP_API_SECRET"):
        SecretSettings(environment="production")
    assert SecretSettings(environment="production", api_secret="s3cr3t-from-vault").api_secret


def test_settings_come_from_jauap_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_KAFKA_BOOTSTRAP", "kafka:9092")
    assert ServiceSettings().kafka_bootstrap == "kafka:9092"


def test_redact_hides_phones_and_emails() -> None:
    text = redact("call +7 701 123 45 67 or mail a.b@mail.kz about IIN 900101300123")
    assert "701" not in text and "a.b@mail.kz" not in text and "900101300123" not in text


def test_log_line_is_one_json_object_with_extras() -> None:
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "question accepted", (), None)
    record.channel = "telegram"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["event"] == "question accepted" and parsed["channel"] == "telegram"


@pytest.mark.parametrize(
    "text",
    [
        "posted to chat -1001234567890",
        "chat_id=-1009876543210, part 2/3",
        "(-1001234567890)",
    ],
)
def test_redact_keeps_telegram_group_chat_ids(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("phone -87011234567", "87011234567"),  # a minus before a phone is still a phone
        ("IIN -900101300123", "900101300123"),
        ("tel 8-701-123-45-67", "701-123-45-67"),
        ("card 4111 1111 1111 1111", "4111 1111"),
        ("id -10012345678901", "10012345678901"),  # one digit too many for a group id
        ("mail -1001234567890@mail.kz", "mail.kz"),  # a group-id-shaped e-mail address
        ("chat -1001234567890 from +7 701 123 45 67", "701 123"),
    ],
)
def test_redact_still_hides_phones_iins_and_cards_near_a_minus_sign(text: str, secret: str) -> None:
    assert secret not in redact(text)


def test_redact_keeps_a_group_chat_id_in_a_log_line_extra() -> None:
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "delivered", (), None)
    record.chat = "-1001234567890"
    assert json.loads(JsonFormatter().format(record))["chat"] == "-1001234567890"

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

import pytest
from pydantic import ValidationError

from services.desk.settings import DeskSettings

pytestmark = pytest.mark.unit


def test_defaults_follow_the_design() -> None:
    settings = DeskSettings(_env_file=None)
    assert (settings.port, settings.service_name) == (8000, "desk")
    assert settings.allow_self_approval is False  # four-eyes unless turned off on purpose
    assert settings.delivery_outcome_timeout_s == 600
    assert settings.publish_timeout_s < settings.approval_claim_stale_s


def test_self_approval_is_turned_on_only_on_purpose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_ALLOW_SELF_APPROVAL", "true")
    assert DeskSettings(_env_file=None).allow_self_approval is True


def test_a_publish_must_end_before_its_claim_goes_stale() -> None:
    with pytest.raises(ValidationError, match="JAUAP_PUBLISH_TIMEOUT_S"):
        DeskSettings(publish_timeout_s=60, approval_claim_stale_s=60)


def test_production_needs_a_secure_cookie() -> None:
    with pytest.raises(ValidationError, match="JAUAP_COOKIE_SECURE"):
        DeskSettings(environment="production", cookie_secure=False)
    assert DeskSettings(environment="production", cookie_secure=True).cookie_secure

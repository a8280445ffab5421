"""JAUAP_X_* settings: sandbox defaults outside production, refused in production unless X is off."""

from __future__ import annotations

import pytest

from channels.x.settings import SANDBOX_API_BASE, XSettings

pytestmark = pytest.mark.unit

REAL = {
    "api_base": "https://api.x.com",
    "consumer_key": "k",
    "consumer_secret": "s",
    "access_token": "1-t",
    "access_token_secret": "ts",
}


def test_defaults_talk_to_the_sandbox() -> None:
    assert XSettings().api_base == SANDBOX_API_BASE
    assert XSettings().poll_interval_s == 0  # polling is opt-in


def test_production_names_every_sandbox_default_left(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match=r"JAUAP_X_CONSUMER_SECRET.*JAUAP_X_ENABLED=false"):
        XSettings(**{**REAL, "consumer_secret": XSettings.model_fields["consumer_secret"].default})
    assert XSettings(**REAL).api_base == "https://api.x.com"  # type: ignore[arg-type]
    assert XSettings(enabled=False).enabled is False
    assert XSettings().enabled is False  # nothing set: production runs without X


def test_the_shared_variables_configure_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_X_POLL_INTERVAL_S", "15")
    monkeypatch.setenv("JAUAP_X_USER_ID", "2244994945")
    settings = XSettings()
    assert (settings.poll_interval_s, settings.user_id) == (15, "2244994945")

import pytest
from pydantic import ValidationError

from services.desk.settings import DeskSettings

pytestmark = pytest.mark.unit


def test_defaults_follow_the_design() -> None:
    settings = DeskSettings(_env_file=None)
    assert (settings.port, settings.service_name) == (8000, "desk")
    assert settings.allow_self_approval_for_approver_written is True


def test_production_needs_a_secure_cookie() -> None:
    with pytest.raises(ValidationError, match="JAUAP_COOKIE_SECURE"):
        DeskSettings(environment="production", cookie_secure=False)
    assert DeskSettings(environment="production", cookie_secure=True).cookie_secure

"""What the login route accepts before any account is looked at."""

import pytest
from pydantic import ValidationError

from services.desk.auth import LoginRequest


def test_an_ordinary_username_is_accepted() -> None:
    assert LoginRequest(username="aigerim.s", password="x").username == "aigerim.s"


@pytest.mark.parametrize("username", ["G\x00L", "tab\there", "bell\x07", "del\x7f"])
def test_a_username_with_control_characters_is_refused_before_anything_is_stored(username: str) -> None:
    # Found by fuzzing: a NUL reached the failed-login record, which FerretDB on PostgreSQL refuses (500).
    with pytest.raises(ValidationError):
        LoginRequest(username=username, password="x")

import pytest

from jauap.stack.settings import StackSettings


@pytest.fixture(scope="session", autouse=True)
def _servers(stack: StackSettings) -> StackSettings:
    """Every test in this tier runs against the real stack."""
    return stack

from datetime import timedelta

import pytest
from desk_fakes import FakeAccountRepository, FakeClock

from services.desk.accounts import AccountError, Accounts, LoginRefused, LoginThrottled

pytestmark = pytest.mark.unit

PASSWORD = "correct horse battery"


async def accounts_with_olga() -> tuple[Accounts, FakeAccountRepository, FakeClock]:
    repo, clock = FakeAccountRepository(), FakeClock()
    accounts = Accounts(repo, session_lifetime=timedelta(hours=1), max_failures=2, clock=clock)
    await accounts.add_user("Olga", "operator", PASSWORD)
    return accounts, repo, clock


async def test_add_user_stores_an_argon2_hash_and_refuses_duplicates() -> None:
    accounts, repo, _ = await accounts_with_olga()
    assert repo.users["olga"]["password_hash"].startswith("$argon2")
    with pytest.raises(AccountError, match="already exists"):
        await accounts.add_user("olga", "operator", PASSWORD)
    with pytest.raises(AccountError, match="role"):
        await accounts.add_user("ivan", "superuser", PASSWORD)
    with pytest.raises(AccountError, match="at least"):
        await accounts.add_user("ivan", "operator", "short")


async def test_login_session_and_expiry() -> None:
    accounts, repo, clock = await accounts_with_olga()
    token, session = await accounts.login("olga", PASSWORD)
    assert (session.username, session.role) == ("olga", "operator")
    assert token not in repo.sessions  # stored under a hash of the token only
    assert await accounts.session(token) == session
    clock.advance(3601)
    assert await accounts.session(token) is None
    assert repo.sessions == {}


async def test_failed_logins_look_the_same_and_are_throttled() -> None:
    accounts, _, clock = await accounts_with_olga()
    with pytest.raises(LoginRefused) as unknown:
        await accounts.login("nobody", PASSWORD)
    with pytest.raises(LoginRefused) as wrong:
        await accounts.login("olga", "wrong password")
    assert str(unknown.value) == str(wrong.value)
    with pytest.raises(LoginRefused):
        await accounts.login("olga", "wrong again")
    with pytest.raises(LoginThrottled):
        await accounts.login("olga", PASSWORD)  # even the right password, for a while
    clock.advance(16 * 60)
    _, session = await accounts.login("olga", PASSWORD)
    assert session.username == "olga"

"""Accounts: adding, sessions checked against the current account, what admins change (audited), and
the rule that the desk always keeps an active admin."""

from datetime import timedelta

import pytest
from account_fakes import PASSWORD, AccountsWorld

from services.desk.accounts import AccountError, LastAdmin, LoginRefused, UnknownUser, UserExists

pytestmark = pytest.mark.unit

NEW_PASSWORD = "another long password"


async def world_with(*users: tuple[str, str]) -> AccountsWorld:
    world = AccountsWorld()
    for name, role in users:
        await world.add(name, role)
    return world


async def test_add_user_stores_an_argon2_hash_refuses_duplicates_and_is_audited() -> None:
    world = await world_with(("Olga", "operator"))
    assert world.repo.users["olga"]["password_hash"].startswith("$argon2")
    with pytest.raises(UserExists, match="already exists"):
        await world.add("olga")
    with pytest.raises(AccountError, match="role"):
        await world.add("ivan", "superuser")
    with pytest.raises(AccountError, match="at least"):
        await world.accounts.add_user("ivan", "operator", "short", actor="cli:root")
    [added] = world.audit.of("user_added")
    assert (added["actor"], added["detail"]) == ("cli:root", {"username": "olga", "role": "operator"})


async def test_login_session_and_expiry() -> None:
    world = await world_with(("olga", "operator"))
    token, session = await world.accounts.login("olga", PASSWORD, "10.0.0.1")
    assert (session.username, session.role) == ("olga", "operator")
    assert token not in world.repo.sessions  # stored under a hash of the token only
    assert await world.accounts.session(token) == session
    world.clock.advance(3601)
    assert await world.accounts.session(token) is None
    assert world.repo.sessions == {}


async def test_a_disabled_user_loses_the_session_at_once_and_cannot_log_in() -> None:
    world = await world_with(("boss", "admin"), ("olga", "operator"))
    token, _ = await world.accounts.login("olga", PASSWORD, "10.0.0.1")
    # Even a session the disable did not clear (e.g. made by another instance meanwhile) is refused.
    await world.repo.update_user("olga", {"disabled": True})
    assert await world.accounts.session(token) is None
    assert world.repo.sessions == {}, "the session is dropped"
    with pytest.raises(LoginRefused, match="wrong username or password"):
        await world.accounts.login("olga", PASSWORD, "10.0.0.1")


async def test_disable_ends_sessions_and_enable_lets_the_user_back_in() -> None:
    world = await world_with(("boss", "admin"), ("olga", "operator"))
    await world.accounts.login("olga", PASSWORD, "10.0.0.1")
    user = await world.accounts.disable("olga", actor="boss")
    assert user["disabled"] is True and world.repo.sessions == {}
    await world.accounts.enable("olga", actor="boss")
    _, session = await world.accounts.login("olga", PASSWORD, "10.0.0.1")
    assert session.username == "olga"
    assert [e["actor"] for e in world.audit.of("user_disabled") + world.audit.of("user_enabled")] == [
        "boss",
        "boss",
    ]


async def test_a_new_role_applies_to_an_open_session_at_once() -> None:
    world = await world_with(("boss", "admin"), ("marat", "approver"))
    token, session = await world.accounts.login("marat", PASSWORD, "10.0.0.1")
    assert session.role == "approver"
    await world.accounts.set_role("marat", "operator", actor="boss")
    demoted = await world.accounts.session(token)
    assert demoted is not None and demoted.role == "operator"
    [change] = world.audit.of("user_role_changed")
    assert change["detail"] == {"username": "marat", "role": "operator"}


async def test_reset_password_ends_sessions_and_only_the_new_password_works() -> None:
    world = await world_with(("boss", "admin"), ("olga", "operator"))
    token, _ = await world.accounts.login("olga", PASSWORD, "10.0.0.1")
    user = await world.accounts.reset_password("olga", NEW_PASSWORD, actor="boss")
    assert "password_hash" not in user
    assert await world.accounts.session(token) is None
    with pytest.raises(LoginRefused):
        await world.accounts.login("olga", PASSWORD, "10.0.0.1")
    await world.accounts.login("olga", NEW_PASSWORD, "10.0.0.1")
    with pytest.raises(AccountError, match="at least"):
        await world.accounts.reset_password("olga", "short", actor="boss")
    assert len(world.audit.of("user_password_reset")) == 1


async def test_the_last_active_admin_cannot_be_disabled_or_demoted() -> None:
    world = await world_with(("boss", "admin"), ("olga", "operator"))
    with pytest.raises(LastAdmin, match=r"last active admin.*make another user admin first"):
        await world.accounts.disable("boss", actor="boss")
    with pytest.raises(LastAdmin):
        await world.accounts.set_role("boss", "approver", actor="boss")
    assert world.repo.users["boss"]["role"] == "admin" and world.repo.users["boss"]["disabled"] is False
    assert world.audit.of("user_disabled") == [] and world.audit.of("user_role_changed") == []
    # With a second admin, either may step down.
    await world.accounts.set_role("olga", "admin", actor="boss")
    await world.accounts.set_role("boss", "operator", actor="boss")
    assert await world.repo.count_active_admins() == 1


async def test_a_repeated_change_changes_nothing_and_audits_once() -> None:
    world = await world_with(("boss", "admin"), ("olga", "operator"))
    await world.accounts.disable("olga", actor="boss")
    await world.accounts.disable("olga", actor="boss")
    assert len(world.audit.of("user_disabled")) == 1


async def test_a_change_whose_audit_write_failed_is_audited_when_repeated() -> None:
    world = await world_with(("boss", "admin"), ("olga", "operator"))
    world.audit.fail = True
    with pytest.raises(ConnectionError):
        await world.accounts.disable("olga", actor="boss")
    world.audit.fail = False
    await world.accounts.disable("olga", actor="boss")  # the admin retries
    assert len(world.audit.of("user_disabled")) == 1


async def test_changes_to_an_unknown_user_say_so() -> None:
    world = await world_with(("boss", "admin"))
    for change in (
        world.accounts.disable("ghost", actor="boss"),
        world.accounts.set_role("ghost", "operator", actor="boss"),
        world.accounts.unlock("ghost", actor="boss"),
    ):
        with pytest.raises(UnknownUser, match="no user 'ghost'"):
            await change


async def test_list_users_never_shows_a_hash() -> None:
    world = await world_with(("boss", "admin"), ("olga", "operator"))
    users = await world.accounts.list_users()
    assert [u["_id"] for u in users] == ["boss", "olga"]
    assert all("password_hash" not in u and u["locked_until"] is None for u in users)


async def test_expired_sessions_are_pruned_at_a_login() -> None:
    world = await world_with(("olga", "operator"))
    await world.accounts.login("olga", PASSWORD, "10.0.0.1")
    world.clock.advance(timedelta(hours=2).total_seconds())
    await world.accounts.login("olga", PASSWORD, "10.0.0.1")
    assert len(world.repo.sessions) == 1

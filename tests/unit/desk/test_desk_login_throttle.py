"""Login throttling that a stranger cannot turn against a user: limits per address and username, per
address, and (short) per username across many addresses; failed-login audit rows rate-limited."""

import asyncio
from datetime import timedelta

import pytest
from account_fakes import PASSWORD, AccountsWorld

from services.desk.accounts import LoginRefused, LoginThrottled
from services.desk.throttle import Limit, ThrottlePolicy

pytestmark = pytest.mark.unit

MINUTES_15 = timedelta(minutes=15)
POLICY = ThrottlePolicy(
    pair=Limit(3, MINUTES_15, MINUTES_15),
    source=Limit(5, MINUTES_15, MINUTES_15),
    account=Limit(6, MINUTES_15, timedelta(minutes=1)),
)
STRANGER, MINISTER_DESK = "203.0.113.9", "10.1.1.20"


async def world_with(*names: str) -> AccountsWorld:
    world = AccountsWorld(POLICY)
    for name in names:
        await world.add(name)
    return world


async def fail(world: AccountsWorld, name: str, source: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(LoginRefused):
            await world.accounts.login(name, "not the password", source)


async def test_unknown_user_and_wrong_password_look_the_same() -> None:
    world = await world_with("minister")
    with pytest.raises(LoginRefused) as unknown:
        await world.accounts.login("nobody", PASSWORD, STRANGER)
    with pytest.raises(LoginRefused) as wrong:
        await world.accounts.login("minister", "wrong password", STRANGER)
    assert str(unknown.value) == str(wrong.value)


async def test_a_stranger_locks_out_only_themselves() -> None:
    world = await world_with("minister")
    await fail(world, "minister", STRANGER, 3)
    with pytest.raises(LoginThrottled, match="from your address") as locked:
        await world.accounts.login("minister", PASSWORD, STRANGER)  # even the right password
    assert 0 < locked.value.retry_after_s <= 15 * 60
    _, session = await world.accounts.login("minister", PASSWORD, MINISTER_DESK)
    assert session.username == "minister"


async def test_knocking_on_a_lock_does_not_prolong_it() -> None:
    world = await world_with("minister")
    await fail(world, "minister", STRANGER, 3)
    for _ in range(10):
        with pytest.raises(LoginThrottled):
            await world.accounts.login("minister", "guess", STRANGER)
    world.clock.advance(15 * 60 + 1)
    await world.accounts.login("minister", PASSWORD, STRANGER)


async def test_one_address_cannot_spray_passwords_across_names() -> None:
    world = await world_with("olga", "marat", "aigerim")
    await fail(world, "olga", STRANGER, 2)
    await fail(world, "marat", STRANGER, 2)
    await fail(world, "aigerim", STRANGER, 1)  # five failures from the address
    with pytest.raises(LoginThrottled, match=r"from your address; try again in 15 minutes$"):
        await world.accounts.login("aigerim", PASSWORD, STRANGER)
    await world.accounts.login("aigerim", PASSWORD, MINISTER_DESK)  # other addresses are fine


async def test_many_addresses_hold_the_account_only_briefly_and_an_admin_can_unlock() -> None:
    world = await world_with("minister", "boss")
    await world.accounts.set_role("boss", "admin", actor="cli:root")
    for i in range(3):  # each address stops at its own pair limit; the account total reaches 6
        await fail(world, "minister", f"198.51.100.{i}", 2)
    with pytest.raises(LoginThrottled, match="from many addresses; try again in 60 seconds"):
        await world.accounts.login("minister", PASSWORD, MINISTER_DESK)
    user = await world.accounts.get_user("minister")
    assert user["locked_until"] == world.clock() + timedelta(minutes=1)
    await world.accounts.unlock("minister", actor="boss")
    await world.accounts.login("minister", PASSWORD, MINISTER_DESK)
    assert world.audit.of("user_unlocked")[0]["actor"] == "boss"


async def test_the_account_hold_ends_by_itself() -> None:
    world = await world_with("minister")
    for i in range(3):
        await fail(world, "minister", f"198.51.100.{i}", 2)
    world.clock.advance(61)
    await world.accounts.login("minister", PASSWORD, MINISTER_DESK)


async def test_a_good_login_starts_its_address_count_over() -> None:
    world = await world_with("olga")
    await fail(world, "olga", MINISTER_DESK, 2)
    await world.accounts.login("olga", PASSWORD, MINISTER_DESK)
    await fail(world, "olga", MINISTER_DESK, 2)  # two more are allowed, not one
    await world.accounts.login("olga", PASSWORD, MINISTER_DESK)


async def test_failed_login_audit_rows_are_rate_limited_with_a_count() -> None:
    world = await world_with("olga", "marat")
    await fail(world, "olga", STRANGER, 2)
    await fail(world, "marat", STRANGER, 2)
    assert [e["detail"]["failures"] for e in world.audit.of("login_failed")] == [1, 1]
    world.clock.advance(60)
    await fail(world, "olga", STRANGER)
    rows = [e["detail"] for e in world.audit.of("login_failed") if e["actor"] == "olga"]
    assert rows == [
        {"source": STRANGER, "failures": 1, "reason": "wrong username or password"},
        {"source": STRANGER, "failures": 3, "reason": "wrong username or password"},
    ], "one row a minute per username and address, with the failures in the window so far"


async def test_throttled_attempts_are_audited_under_the_same_limit() -> None:
    world = await world_with("olga")
    await fail(world, "olga", STRANGER, 3)
    world.clock.advance(60)
    for _ in range(5):
        with pytest.raises(LoginThrottled):
            await world.accounts.login("olga", PASSWORD, STRANGER)
    rows = world.audit.of("login_failed")
    assert len(rows) == 2 and rows[1]["detail"]["reason"].startswith("too many failed logins")


async def test_parallel_guesses_cannot_exceed_the_limit() -> None:
    world = await world_with("olga")
    outcomes = await asyncio.gather(
        *(world.accounts.login("olga", f"guess {i}", STRANGER) for i in range(10)), return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, LoginRefused)]
    assert len(refused) <= 3, "at most the pair's allowance of guesses is checked"
    assert all(isinstance(o, LoginRefused | LoginThrottled) for o in outcomes)
    with pytest.raises(LoginThrottled):
        await world.accounts.login("olga", PASSWORD, STRANGER)


async def test_a_refused_or_successful_attempt_leaves_no_failure_behind() -> None:
    world = await world_with("olga")
    await world.accounts.login("olga", PASSWORD, MINISTER_DESK)
    assert world.failures.docs == {}

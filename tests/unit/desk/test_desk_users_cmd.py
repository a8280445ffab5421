"""`jauap users ...` on the in-memory accounts: each command does what it says, audited as the
operating-system user; passwords from JAUAP_PASSWORD or a prompt typed twice."""

import getpass
import io
import re

import pytest
from account_fakes import PASSWORD, AccountsWorld

from jauap import users_cmd
from services.desk.accounts import LastAdmin

pytestmark = pytest.mark.unit


async def run(world: AccountsWorld, *argv: str) -> str:
    out = io.StringIO()
    await users_cmd.execute(users_cmd.parser().parse_args(list(argv)), world.accounts, out)
    return out.getvalue()


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> AccountsWorld:
    monkeypatch.setenv(users_cmd.PASSWORD_ENV, PASSWORD)
    monkeypatch.setattr(users_cmd, "cli_actor", lambda: "cli:aidos")
    return AccountsWorld()


async def test_add_then_list_prints_a_readable_table(world: AccountsWorld) -> None:
    assert await run(world, "add", "Boss", "--role", "admin") == "added boss (admin, active)\n"
    await run(world, "add", "olga", "--role", "operator")
    await run(world, "disable", "olga")
    lines = (await run(world, "list")).splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["USERNAME", "ROLE", "STATE", "CREATED", "LOCKED UNTIL"]
    assert re.split(r"\s{2,}", lines[2]) == ["olga", "operator", "disabled", "2025-03-01 09:00 UTC", "-"]
    assert lines[1].index("admin") == lines[2].index("operator"), "columns line up"


async def test_an_empty_list_says_how_to_begin(world: AccountsWorld) -> None:
    assert "jauap users add NAME --role admin" in await run(world, "list")


async def test_each_change_is_done_and_audited_as_the_os_user(world: AccountsWorld) -> None:
    await run(world, "add", "boss", "--role", "admin")
    await run(world, "add", "olga", "--role", "operator")
    assert await run(world, "set-role", "olga", "approver") == "olga (approver, active): role set\n"
    assert "sessions ended" in await run(world, "disable", "olga")
    assert await run(world, "enable", "olga") == "olga (approver, active): enabled\n"
    assert "password reset" in await run(world, "reset-password", "olga")
    assert "login locks lifted" in await run(world, "unlock", "olga")
    changes = [e for e in world.audit.entries.values() if e["action"].startswith("user_")]
    assert {e["actor"] for e in changes} == {"cli:aidos"}
    assert [e["action"] for e in changes] == [
        "user_added",
        "user_added",
        "user_role_changed",
        "user_disabled",
        "user_enabled",
        "user_password_reset",
        "user_unlocked",
    ]


async def test_the_last_admin_cannot_be_disabled_from_the_shell_either(world: AccountsWorld) -> None:
    await run(world, "add", "boss", "--role", "admin")
    with pytest.raises(LastAdmin, match="last active admin"):
        await run(world, "disable", "boss")


async def test_a_prompted_password_must_be_typed_the_same_twice(
    world: AccountsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(users_cmd.PASSWORD_ENV)
    typed = iter(["first long password", "second long password"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(typed))
    with pytest.raises(users_cmd.PasswordMismatch, match="differ"):
        await run(world, "add", "olga", "--role", "operator")
    assert world.repo.users == {}


@pytest.mark.parametrize(
    "argv",
    [["add", "x"], ["set-role", "olga"], ["set-role", "olga", "king"], ["disable"], ["frobnicate"]],
)
def test_incomplete_commands_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        users_cmd.parser().parse_args(argv)
    assert exit_.value.code == 2 and "usage: jauap users" in capsys.readouterr().err


def test_an_unreachable_store_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JAUAP_MONGO_URL", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200")
    monkeypatch.setenv("JAUAP_MONGO_TIMEOUT_MS", "300")
    assert users_cmd.main(["list"]) == 1
    err = capsys.readouterr().err
    assert "did not answer" in err and "jauap stack status" in err

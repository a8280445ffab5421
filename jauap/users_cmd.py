"""`jauap users add|list|disable|enable|set-role|reset-password|unlock`: desk accounts from a shell.

The way the first admin is made; afterwards admins can also use `/api/users`. Passwords come from a
prompt (typed twice) or, for scripts, from JAUAP_PASSWORD. The store is the desk's (DeskSettings:
JAUAP_MONGO_URL, JAUAP_MONGO_DB). Every change is audited with the actor `cli:<os user>`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, TextIO

from pymongo.errors import PyMongoError

from services.desk.accounts import AccountError, Accounts, accounts_from_settings
from services.desk.policy import Role
from services.desk.settings import DeskSettings
from services.runtime.store import connect

PASSWORD_ENV = "JAUAP_PASSWORD"
Document = dict[str, Any]


class PasswordMismatch(Exception):
    pass


def read_password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise PasswordMismatch("the two passwords differ; nothing was changed")
    return first


def cli_actor() -> str:
    """Who the audit names for a change made here: the operating-system user running the command."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def users_table(users: list[Document]) -> str:
    """Accounts as aligned columns a person can read."""
    header = ("USERNAME", "ROLE", "STATE", "CREATED", "LOCKED UNTIL")
    rows = [
        (
            str(u["_id"]),
            str(u["role"]),
            "disabled" if u.get("disabled") else "active",
            _when(u.get("created_at")),
            _when(u.get("locked_until")),
        )
        for u in users
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    if not rows:
        lines.append("(no accounts yet: jauap users add NAME --role admin)")
    return "\n".join(lines)


def _describe(user: Document) -> str:
    state = "disabled" if user.get("disabled") else "active"
    return f"{user['_id']} ({user['role']}, {state})"


async def execute(args: argparse.Namespace, accounts: Accounts, out: TextIO) -> None:
    """Runs one parsed command; raises AccountError / PasswordMismatch when it cannot."""
    actor = cli_actor()
    if args.command == "list":
        print(users_table(await accounts.list_users()), file=out)
        return
    if args.command == "add":
        user = await accounts.add_user(args.name, args.role, read_password(), actor=actor)
        print(f"added {_describe(user)}", file=out)
        return
    actions: dict[str, tuple[str, Callable[[], Coroutine[Any, Any, Document]]]] = {
        "disable": ("disabled; their sessions ended", lambda: accounts.disable(args.name, actor=actor)),
        "enable": ("enabled", lambda: accounts.enable(args.name, actor=actor)),
        "set-role": ("role set", lambda: accounts.set_role(args.name, args.role, actor=actor)),
        "reset-password": (
            "password reset; their sessions ended",
            lambda: accounts.reset_password(args.name, read_password(), actor=actor),
        ),
        "unlock": ("login locks lifted", lambda: accounts.unlock(args.name, actor=actor)),
    }
    done, action = actions[args.command]
    user = await action()
    print(f"{_describe(user)}: {done}", file=out)


async def run(args: argparse.Namespace, settings: DeskSettings, out: TextIO) -> None:
    client = connect(settings)
    try:
        await execute(args, accounts_from_settings(client[settings.mongo_db], settings), out)
    finally:
        await client.close()


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jauap users",
        description="Manage desk accounts (also for admins at /api/users). Passwords are read from a "
        f"prompt, or from {PASSWORD_ENV} in scripts. Every change is audited.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    roles = [r.value for r in Role]
    add = sub.add_parser("add", help="add an account", description="Add an account.")
    add.add_argument("name", help="username: 2-64 of a-z 0-9 . _ -")
    add.add_argument("--role", required=True, choices=roles, help="what the user may do")
    sub.add_parser("list", help="list accounts, roles, state and login locks", description="List accounts.")
    for name, help_ in (
        ("disable", "disable an account: it cannot log in and its sessions end at once"),
        ("enable", "enable a disabled account"),
        ("reset-password", "set a new password: the user's sessions end"),
        ("unlock", "lift the login locks on an account (after many failed logins)"),
    ):
        command = sub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".")
        command.add_argument("name", help="username")
    set_role = sub.add_parser(
        "set-role", help="change the role (applies at once)", description="Change an account's role."
    )
    set_role.add_argument("name", help="username")
    set_role.add_argument("role", choices=roles, help="the new role")
    return parser


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    settings = DeskSettings()
    try:
        asyncio.run(run(args, settings, sys.stdout))
    except (AccountError, PasswordMismatch) as exc:
        print(f"jauap users {args.command}: {exc}", file=sys.stderr)
        return 1
    except PyMongoError as exc:
        print(
            f"jauap users {args.command}: the store at {settings.mongo_url} did not answer ({exc}); "
            "is it running (jauap stack status) and is JAUAP_MONGO_URL right?",
            file=sys.stderr,
        )
        return 1
    return 0

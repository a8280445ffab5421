"""`jauap users add NAME --role operator|approver|admin` and `jauap users list`.

The only way desk accounts are made. The password comes from a prompt (typed twice) or, for scripts,
from JAUAP_PASSWORD. The store is the desk's (DeskSettings: JAUAP_MONGO_URL, JAUAP_MONGO_DB).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from services.desk.accounts import AccountError, Accounts, MongoAccounts
from services.desk.policy import Role
from services.desk.settings import DeskSettings
from services.runtime.store import connect

PASSWORD_ENV = "JAUAP_PASSWORD"


class PasswordMismatch(Exception):
    pass


def read_password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise PasswordMismatch("the two passwords differ")
    return first


async def add_user(settings: DeskSettings, username: str, role: str, password: str) -> dict[str, object]:
    """Adds a desk account; raises AccountError if it cannot (exists, weak password, bad role)."""
    client = connect(settings)
    try:
        return await Accounts(MongoAccounts(client[settings.mongo_db])).add_user(username, role, password)
    finally:
        await client.close()


async def list_users(settings: DeskSettings) -> list[dict[str, object]]:
    client = connect(settings)
    try:
        return list(await MongoAccounts(client[settings.mongo_db]).list_users())
    finally:
        await client.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jauap users", description="Manage desk accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add an account (password from a prompt or JAUAP_PASSWORD)")
    add.add_argument("name", help="username: 2-64 of a-z 0-9 . _ -")
    add.add_argument("--role", required=True, choices=[r.value for r in Role], help="what the user may do")
    sub.add_parser("list", help="list accounts and their roles")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    settings = DeskSettings()
    if args.command == "list":
        for user in asyncio.run(list_users(settings)):
            state = " (disabled)" if user.get("disabled") else ""
            print(f"{user['_id']}\t{user['role']}{state}")
        return 0
    try:
        password = read_password()
        user = asyncio.run(add_user(settings, args.name, args.role, password))
    except (AccountError, PasswordMismatch) as exc:
        print(f"jauap users add: {exc}", file=sys.stderr)
        return 1
    print(f"added {user['_id']} ({user['role']})")
    return 0

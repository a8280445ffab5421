"""`jauap up` offers to create the first admin when the desk has none, so the console at `/` can be
used at once. Only on a terminal: scripts and CI never wait on a prompt."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

from pymongo.errors import PyMongoError

from services.desk.accounts import accounts_from_settings
from services.desk.policy import Role
from services.desk.settings import DeskSettings
from services.runtime.store import connect

from . import users_cmd

CONSOLE_URL = "http://127.0.0.1:8000/"


async def _has_active_admin(settings: DeskSettings) -> bool:
    client = connect(settings)
    try:
        users = await accounts_from_settings(client[settings.mongo_db], settings).list_users()
    finally:
        await client.close()
    return any(u["role"] == Role.admin.value and not u.get("disabled") for u in users)


def has_active_admin() -> bool:
    return asyncio.run(_has_active_admin(DeskSettings()))


def add_admin(name: str) -> int:
    # The same command an admin would type: it asks for the password twice.
    return users_cmd.main(["add", name, "--role", Role.admin.value])


def offer_first_admin(
    stack_env: Mapping[str, str],
    *,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    ask: Callable[[str], str] = input,
    has_admin: Callable[[], bool] = has_active_admin,
    add: Callable[[str], int] = add_admin,
) -> None:
    if not stdin.isatty():
        return
    os.environ.update(stack_env)  # the accounts live in the local stack's store, as the desk's do
    try:
        if has_admin():
            return
    except PyMongoError as exc:
        print(f"[jauap up] could not check the desk's accounts ({exc}); skipping the admin prompt", file=out)
        return
    print(f"\nThere is no admin account yet; the operator console ({CONSOLE_URL}) needs one.", file=out)
    name = ask("Username of the first admin (Enter to skip): ").strip()
    if not name:
        print("Skipped. Later: .venv/bin/jauap users add NAME --role admin", file=out)
        return
    while add(name) != 0 and ask("Try again? [y/N] ").strip().lower() == "y":
        pass

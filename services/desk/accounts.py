"""Accounts and sessions: argon2 password hashes (pwdlib), server-side sessions with an expiry checked
on every use, and a per-username throttle on failed logins. Accounts are created only by
`jauap users add`; nothing here has a built-in user.

FerretDB has no TTL indexes, so expired sessions are refused when used and pruned at each login.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pwdlib import PasswordHash
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .policy import Role
from .settings import DeskSettings
from .store import create_indexes

Document = dict[str, Any]
USERS, SESSIONS, LOGIN_FAILURES = "users", "sessions", "login_failures"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10

_hasher = PasswordHash.recommended()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both failures take the same time."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AccountError(ValueError):
    """A user cannot be added as asked."""


class LoginRefused(Exception):
    """Wrong username or password; the same for both, so names cannot be probed (HTTP 401)."""


class LoginThrottled(Exception):
    """Too many failed logins for this username (HTTP 429)."""


@dataclass(frozen=True)
class Session:
    username: str
    role: str
    csrf_token: str
    expires_at: datetime


class AccountRepository(Protocol):
    async def get_user(self, username: str) -> Document | None: ...
    async def insert_user(self, user: Document) -> bool: ...
    async def list_users(self) -> list[Document]: ...
    async def add_session(self, session: Document) -> None: ...
    async def get_session(self, key: str) -> Document | None: ...
    async def delete_session(self, key: str) -> None: ...
    async def delete_sessions_before(self, at: datetime) -> None: ...
    async def failed_logins(self, username: str, since: datetime) -> int: ...
    async def note_failed_login(self, username: str, now: datetime, window: timedelta) -> int: ...
    async def clear_failed_logins(self, username: str) -> None: ...


async def ensure_account_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(
        db[SESSIONS],
        [
            IndexModel([("expires_at", ASCENDING)], name="expiry"),
            IndexModel([("username", ASCENDING)], name="by_user"),
        ],
    )


class MongoAccounts:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.users = db[USERS]
        self.sessions = db[SESSIONS]
        self.failures = db[LOGIN_FAILURES]

    async def get_user(self, username: str) -> Document | None:
        return await self.users.find_one({"_id": username})

    async def insert_user(self, user: Document) -> bool:
        try:
            await self.users.insert_one(user)
        except DuplicateKeyError:
            return False
        return True

    async def list_users(self) -> list[Document]:
        return [u async for u in self.users.find({}, {"password_hash": 0}).sort("_id", ASCENDING)]

    async def add_session(self, session: Document) -> None:
        await self.sessions.insert_one(session)

    async def get_session(self, key: str) -> Document | None:
        return await self.sessions.find_one({"_id": key})

    async def delete_session(self, key: str) -> None:
        await self.sessions.delete_one({"_id": key})

    async def delete_sessions_before(self, at: datetime) -> None:
        await self.sessions.delete_many({"expires_at": {"$lt": at}})

    async def failed_logins(self, username: str, since: datetime) -> int:
        doc = await self.failures.find_one({"_id": username, "first_at": {"$gte": since}})
        return int(doc["count"]) if doc else 0

    async def note_failed_login(self, username: str, now: datetime, window: timedelta) -> int:
        # A window that has passed starts over; the throttle is per username, shared by instances.
        await self.failures.delete_one({"_id": username, "first_at": {"$lt": now - window}})
        doc = await self.failures.find_one_and_update(
            {"_id": username},
            {"$inc": {"count": 1}, "$setOnInsert": {"first_at": now}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return int(doc["count"]) if doc else 1

    async def clear_failed_logins(self, username: str) -> None:
        await self.failures.delete_one({"_id": username})


def session_key(token: str) -> str:
    """Sessions are stored under a hash of the cookie, so a copy of the store opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Accounts:
    repo: AccountRepository
    session_lifetime: timedelta = timedelta(hours=8)
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    clock: Callable[[], datetime] = field(default=_utc_now)

    async def add_user(self, username: str, role: str, password: str) -> Document:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountError("username: 2-64 of a-z 0-9 . _ -, starting with a letter or digit")
        if role not in {r.value for r in Role}:
            raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
        user = {
            "_id": username,
            "role": role,
            "password_hash": await asyncio.to_thread(_hasher.hash, password),
            "created_at": self.clock(),
            "disabled": False,
        }
        if not await self.repo.insert_user(user):
            raise AccountError(f"user '{username}' already exists")
        return {k: v for k, v in user.items() if k != "password_hash"}

    async def login(self, username: str, password: str) -> tuple[str, Session]:
        """Returns the session token (for the cookie) and the session."""
        username = username.strip().lower()
        now = self.clock()
        if await self.repo.failed_logins(username, now - self.lockout) >= self.max_failures:
            minutes = max(1, int(self.lockout.total_seconds() // 60))
            raise LoginThrottled(
                f"too many failed logins for this account; wait {minutes} minutes or ask an admin"
            )
        user = await self.repo.get_user(username)
        active = user is not None and not user.get("disabled")
        known_hash = user["password_hash"] if user is not None and active else _dummy_hash()
        ok = await asyncio.to_thread(_hasher.verify, password, known_hash)
        if not ok or user is None or not active:
            await self.repo.note_failed_login(username, now, self.lockout)
            raise LoginRefused("wrong username or password")
        await self.repo.clear_failed_logins(username)
        await self.repo.delete_sessions_before(now)
        token = secrets.token_urlsafe(32)
        session = Session(username, user["role"], secrets.token_urlsafe(32), now + self.session_lifetime)
        await self.repo.add_session(
            {
                "_id": session_key(token),
                "username": session.username,
                "role": session.role,
                "csrf_token": session.csrf_token,
                "created_at": now,
                "expires_at": session.expires_at,
            }
        )
        return token, session

    async def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        doc = await self.repo.get_session(session_key(token))
        if doc is None:
            return None
        if doc["expires_at"] <= self.clock():
            await self.repo.delete_session(doc["_id"])
            return None
        return Session(doc["username"], doc["role"], doc["csrf_token"], doc["expires_at"])

    async def logout(self, token: str) -> None:
        await self.repo.delete_session(session_key(token))


def accounts_from_settings(db: AsyncDatabase[Document], settings: DeskSettings) -> Accounts:
    """The desk's accounts on its store, as the settings say."""
    return Accounts(
        MongoAccounts(db),
        session_lifetime=timedelta(seconds=settings.session_lifetime_s),
        max_failures=settings.login_max_failures,
        lockout=timedelta(seconds=settings.login_lockout_s),
    )

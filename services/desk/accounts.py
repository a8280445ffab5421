"""Desk accounts and sessions: argon2 password hashes (pwdlib), server-side sessions checked against
the current account on every use, changes an admin makes (audited), and login throttling
(`throttle.py`). Accounts are created only by an admin (`jauap users add`, `POST /api/users`);
nothing here has a built-in user.

FerretDB has no TTL indexes, so expired sessions are refused when used and pruned at each login.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pwdlib import PasswordHash
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .audit import Action, entry
from .policy import Role
from .settings import DeskSettings
from .store import MongoDeskRepository, create_indexes
from .throttle import Limit, LoginThrottle, MongoFailures, ThrottlePolicy, ensure_failure_indexes
from .throttle import LoginThrottled as LoginThrottled  # raised by login; re-exported for the API

Document = dict[str, Any]
# Appends entries; one already stored (same `_id`) is left as it is.
AuditSink = Callable[[list[Document]], Awaitable[None]]
USERS, SESSIONS = "users", "sessions"
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
    """An account cannot be changed as asked: invalid name, role or password (HTTP 422)."""


class UnknownUser(AccountError):
    """No account has this username (HTTP 404)."""


class UserExists(AccountError):
    """HTTP 409."""


class LastAdmin(AccountError):
    """The change would leave the desk with no active admin (HTTP 409)."""


class LoginRefused(Exception):
    """Wrong username or password; the same for both, so names cannot be probed (HTTP 401)."""


@dataclass(frozen=True)
class Session:
    username: str
    role: str  # the account's role now, not at login
    csrf_token: str
    expires_at: datetime


class AccountRepository(Protocol):
    async def get_user(self, username: str) -> Document | None: ...
    async def insert_user(self, user: Document) -> bool: ...
    async def list_users(self) -> list[Document]:
        """Every account without its password hash, by username."""

    async def update_user(self, username: str, changes: Mapping[str, Any]) -> Document | None:
        """Set fields and add one to `version`; returns the account after (no hash), None if absent."""

    async def count_active_admins(self) -> int: ...
    async def add_session(self, session: Document) -> None: ...
    async def get_session(self, key: str) -> Document | None: ...
    async def delete_session(self, key: str) -> None: ...
    async def delete_sessions_before(self, at: datetime) -> None: ...
    async def delete_sessions_of(self, username: str) -> None: ...


async def ensure_account_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(
        db[SESSIONS],
        [
            IndexModel([("expires_at", ASCENDING)], name="expiry"),
            IndexModel([("username", ASCENDING)], name="by_user"),
        ],
    )
    await ensure_failure_indexes(db)


NO_HASH = {"password_hash": 0}


class MongoAccounts:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.users = db[USERS]
        self.sessions = db[SESSIONS]

    async def get_user(self, username: str) -> Document | None:
        return await self.users.find_one({"_id": username})

    async def insert_user(self, user: Document) -> bool:
        try:
            await self.users.insert_one(user)
        except DuplicateKeyError:
            return False
        return True

    async def list_users(self) -> list[Document]:
        return [u async for u in self.users.find({}, NO_HASH).sort("_id", ASCENDING)]

    async def update_user(self, username: str, changes: Mapping[str, Any]) -> Document | None:
        # No projection: FerretDB 1.24 does not implement `fields` in findAndModify.
        after = await self.users.find_one_and_update(
            {"_id": username},
            {"$set": dict(changes), "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return None if after is None else without_hash(after)

    async def count_active_admins(self) -> int:
        return await self.users.count_documents({"role": Role.admin.value, "disabled": False})

    async def add_session(self, session: Document) -> None:
        await self.sessions.insert_one(session)

    async def get_session(self, key: str) -> Document | None:
        return await self.sessions.find_one({"_id": key})

    async def delete_session(self, key: str) -> None:
        await self.sessions.delete_one({"_id": key})

    async def delete_sessions_before(self, at: datetime) -> None:
        await self.sessions.delete_many({"expires_at": {"$lt": at}})

    async def delete_sessions_of(self, username: str) -> None:
        await self.sessions.delete_many({"username": username})


def session_key(token: str) -> str:
    """Sessions are stored under a hash of the cookie, so a copy of the store opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalize(username: str) -> str:
    return username.strip().lower()


def check_role(role: str) -> None:
    if role not in {r.value for r in Role}:
        raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")


def without_hash(user: Document) -> Document:
    return {k: v for k, v in user.items() if k != "password_hash"}


def _active_admin(user: Mapping[str, Any]) -> bool:
    return user.get("role") == Role.admin.value and not user.get("disabled")


async def _hash(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


@dataclass
class Accounts:
    repo: AccountRepository
    throttle: LoginThrottle
    audit: AuditSink
    session_lifetime: timedelta = timedelta(hours=8)
    clock: Callable[[], datetime] = field(default=_utc_now)

    # --- what an admin does -------------------------------------------------------------------

    async def add_user(self, username: str, role: str, password: str, *, actor: str) -> Document:
        username = normalize(username)
        if not USERNAME.match(username):
            raise AccountError("username: 2-64 of a-z 0-9 . _ -, starting with a letter or digit")
        check_role(role)
        check_password(password)
        now = self.clock()
        user = {
            "_id": username,
            "role": role,
            "password_hash": await _hash(password),
            "created_at": now,
            "updated_at": now,
            "disabled": False,
            "version": 1,
            "last_change": Action.user_added.value,
        }
        if not await self.repo.insert_user(user):
            existing = await self.repo.get_user(username)
            if existing is not None:  # a retry after the audit write failed completes it
                await self._audit_again(existing, Action.user_added, actor, role=existing["role"])
            raise UserExists(f"user '{username}' already exists")
        await self._audit_change(user, Action.user_added, actor, role=role)
        return without_hash(user)

    async def list_users(self) -> list[Document]:
        """Every account (no hash) with `locked_until` when a login lock on it is in force."""
        users = await self.repo.list_users()
        locks = await self.throttle.locked_until((u["_id"] for u in users), self.clock())
        return [{**u, "locked_until": locks.get(u["_id"])} for u in users]

    async def get_user(self, username: str) -> Document:
        user = without_hash(await self._existing(normalize(username)))
        locks = await self.throttle.locked_until([user["_id"]], self.clock())
        return {**user, "locked_until": locks.get(user["_id"])}

    async def disable(self, username: str, *, actor: str) -> Document:
        return await self._change(username, {"disabled": True}, Action.user_disabled, actor)

    async def enable(self, username: str, *, actor: str) -> Document:
        return await self._change(username, {"disabled": False}, Action.user_enabled, actor)

    async def set_role(self, username: str, role: str, *, actor: str) -> Document:
        check_role(role)
        return await self._change(username, {"role": role}, Action.user_role_changed, actor, role=role)

    async def reset_password(self, username: str, password: str, *, actor: str) -> Document:
        check_password(password)
        changes = {"password_hash": await _hash(password)}
        return await self._change(username, changes, Action.user_password_reset, actor)

    async def unlock(self, username: str, *, actor: str) -> Document:
        """Lifts every login lock on the account (from any address) and starts its counts over."""
        user = await self._existing(normalize(username))
        cleared = await self.throttle.unlock(user["_id"])
        await self.audit(
            [entry(actor, Action.user_unlocked, self.clock(), username=user["_id"], counters=cleared)]
        )
        return await self.get_user(user["_id"])

    # --- logging in and sessions --------------------------------------------------------------

    async def login(self, username: str, password: str, source: str) -> tuple[str, Session]:
        """Returns the session token (for the cookie) and the session. `source` is the client's
        address; the limits are per address, per address and username, and per username."""
        username, now = normalize(username)[:64], self.clock()
        try:
            attempt = await self.throttle.begin(username, source, now)
        except LoginThrottled as refused:
            await self._audit_failure(username, source, now, str(refused))
            raise
        user = await self.repo.get_user(username)
        active = user is not None and not user.get("disabled")
        known_hash = user["password_hash"] if user is not None and active else _dummy_hash()
        ok = await asyncio.to_thread(_hasher.verify, password, known_hash)
        if not ok or user is None or not active:
            await self.throttle.failed(attempt)
            reason = "wrong username or password"
            await self._audit_failure(username, source, now, reason, failures=attempt.pair_failures)
            raise LoginRefused(reason)
        await self.throttle.succeeded(attempt)
        await self.repo.delete_sessions_before(now)
        await self.throttle.prune(now)
        return await self._open_session(user, source, now)

    async def session(self, token: str | None) -> Session | None:
        """The session of this token, with the account's role as it is now; None (and the session
        dropped) when it expired, or the account was disabled or removed."""
        if not token:
            return None
        doc = await self.repo.get_session(session_key(token))
        if doc is None:
            return None
        user = await self.repo.get_user(doc["username"])
        if doc["expires_at"] <= self.clock() or user is None or user.get("disabled"):
            await self.repo.delete_session(doc["_id"])
            return None
        return Session(doc["username"], user["role"], doc["csrf_token"], doc["expires_at"])

    async def logout(self, token: str, username: str) -> None:
        await self.repo.delete_session(session_key(token))
        await self.audit([entry(username, Action.logout, self.clock())])

    # --- helpers ------------------------------------------------------------------------------

    async def _open_session(self, user: Document, source: str, now: datetime) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(user["_id"], user["role"], secrets.token_urlsafe(32), now + self.session_lifetime)
        await self.repo.add_session(
            {
                "_id": session_key(token),
                "username": session.username,
                "csrf_token": session.csrf_token,
                "created_at": now,
                "expires_at": session.expires_at,
            }
        )
        await self.audit([entry(session.username, Action.login, now, source=source)])
        return token, session

    async def _existing(self, username: str) -> Document:
        user = await self.repo.get_user(username)
        if user is None:
            raise UnknownUser(f"no user '{username}': see the list of users")
        return user

    async def _change(
        self, username: str, changes: Mapping[str, Any], action: Action, actor: str, **detail: Any
    ) -> Document:
        before = await self._existing(normalize(username))
        name = before["_id"]
        if action is not Action.user_password_reset and all(before.get(k) == v for k, v in changes.items()):
            await self._audit_again(before, action, actor, **detail)
            return await self.get_user(name)
        after = await self.repo.update_user(
            name, {**changes, "updated_at": self.clock(), "last_change": action.value}
        )
        if after is None:
            raise UnknownUser(f"no user '{name}': see the list of users")
        if _active_admin(before) and not _active_admin(after):
            await self._keep_an_admin(before, changes)
        if after.get("disabled") or action is Action.user_password_reset:
            await self.repo.delete_sessions_of(name)  # also refused at once by `session`
        await self._audit_change(after, action, actor, **detail)
        return await self.get_user(name)

    async def _keep_an_admin(self, before: Document, changes: Mapping[str, Any]) -> None:
        """Undo a change that left no active admin. Counted after the write, so of two admins
        demoting each other at once at least one stays an admin (no transactions in FerretDB)."""
        if await self.repo.count_active_admins() > 0:
            return
        await self.repo.update_user(before["_id"], {k: before.get(k) for k in changes})
        raise LastAdmin(
            f"'{before['_id']}' is the last active admin, so they stay an active admin: make another "
            "user admin first (jauap users set-role NAME admin, or the users page), then try again"
        )

    async def _audit_change(self, user: Mapping[str, Any], action: Action, actor: str, **detail: Any) -> None:
        # One entry per version of the account, so writing it again is a no-op.
        key = f"{user['_id']}:v{user['version']}"
        at = self.clock()
        await self.audit([entry(actor, action, at, key=key, username=user["_id"], **detail)])

    async def _audit_again(self, user: Mapping[str, Any], action: Action, actor: str, **detail: Any) -> None:
        """A repeated request finds the change made: complete its audit entry if that write failed."""
        if user.get("last_change") == action.value and "version" in user:
            await self._audit_change(user, action, actor, **detail)

    async def _audit_failure(
        self, username: str, source: str, now: datetime, reason: str, failures: int | None = None
    ) -> None:
        """At most one row per username, address and clock minute: the row's id names the minute, so
        later failures in it write nothing (exactly, even from parallel requests). `failures` is how
        many failures of this username from this address are in the current throttle window."""
        minute = now.strftime("%Y-%m-%dT%H:%M")
        detail: dict[str, Any] = {"source": source, "reason": reason}
        if failures is not None:
            detail["failures"] = failures
        key = f"{username}@{source}@{minute}"
        await self.audit([entry(username, Action.login_failed, now, key=key, **detail)])


def throttle_policy(settings: DeskSettings) -> ThrottlePolicy:
    per_address = timedelta(seconds=settings.login_lockout_s)
    return ThrottlePolicy(
        pair=Limit(settings.login_max_failures, per_address, per_address),
        source=Limit(settings.login_source_max_failures, per_address, per_address),
        account=Limit(
            settings.login_account_max_failures, per_address, timedelta(seconds=settings.login_account_lock_s)
        ),
    )


def accounts_from_settings(db: AsyncDatabase[Document], settings: DeskSettings) -> Accounts:
    """The desk's accounts on its store, as the settings say, auditing into the desk's audit log."""
    return Accounts(
        MongoAccounts(db),
        LoginThrottle(MongoFailures(db), throttle_policy(settings)),
        MongoDeskRepository(db).append_audit,
        session_lifetime=timedelta(seconds=settings.session_lifetime_s),
    )

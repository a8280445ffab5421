"""In-memory stand-ins for the accounts store, the login-failure counters and the audit log (fakes,
not mocks), and an `Accounts` built on them."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from desk_fakes import FakeClock

from services.desk.accounts import Accounts
from services.desk.throttle import NEVER, LoginThrottle, ThrottlePolicy

Document = dict[str, Any]
PASSWORD = "correct horse battery"


class FakeAccountRepository:
    def __init__(self) -> None:
        self.users: dict[str, Document] = {}
        self.sessions: dict[str, Document] = {}

    async def get_user(self, username: str) -> Document | None:
        return copy.deepcopy(self.users.get(username))

    async def insert_user(self, user: Document) -> bool:
        if user["_id"] in self.users:
            return False
        self.users[user["_id"]] = copy.deepcopy(user)
        return True

    async def list_users(self) -> list[Document]:
        users = sorted(self.users.values(), key=lambda u: str(u["_id"]))
        return [{k: v for k, v in u.items() if k != "password_hash"} for u in users]

    async def update_user(self, username: str, changes: Mapping[str, Any]) -> Document | None:
        user = self.users.get(username)
        if user is None:
            return None
        user.update(copy.deepcopy(dict(changes)))
        user["version"] = user.get("version", 0) + 1
        return {k: v for k, v in copy.deepcopy(user).items() if k != "password_hash"}

    async def count_active_admins(self) -> int:
        return sum(1 for u in self.users.values() if u["role"] == "admin" and u["disabled"] is False)

    async def add_session(self, session: Document) -> None:
        self.sessions[session["_id"]] = copy.deepcopy(session)

    async def get_session(self, key: str) -> Document | None:
        return copy.deepcopy(self.sessions.get(key))

    async def delete_session(self, key: str) -> None:
        self.sessions.pop(key, None)

    async def delete_sessions_before(self, at: datetime) -> None:
        self.sessions = {k: s for k, s in self.sessions.items() if s["expires_at"] >= at}

    async def delete_sessions_of(self, username: str) -> None:
        self.sessions = {k: s for k, s in self.sessions.items() if s["username"] != username}


class FakeFailures:
    """The counters of `throttle.MongoFailures`, in a dict, with the same window and lock rules."""

    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}

    async def active_locks(self, keys: list[str], now: datetime) -> list[Document]:
        return [
            copy.deepcopy(d)
            for k in keys
            if (d := self.docs.get(k)) is not None and d.get("locked_until", NEVER) > now
        ]

    async def add_failure(self, key: str, fields: Document, now: datetime, window: timedelta) -> int:
        doc = self.docs.get(key)
        if doc is None or doc["first_at"] < now - window:
            doc = self.docs[key] = {
                "_id": key,
                **fields,
                "count": 0,
                "first_at": now,
                "expires_at": now + window,
            }
        doc["count"] += 1
        return int(doc["count"])

    async def lock(self, key: str, now: datetime, until: datetime, window: timedelta) -> None:
        kept = max(until, now + window)
        self.docs[key].update(count=0, first_at=now, locked_until=until, expires_at=kept)

    async def clear(self, key: str) -> None:
        self.docs.pop(key, None)

    async def clear_username(self, username: str) -> int:
        mine = [k for k, d in self.docs.items() if d.get("username") == username]
        for key in mine:
            del self.docs[key]
        return len(mine)

    async def locked_usernames(self, usernames: list[str], now: datetime) -> dict[str, datetime]:
        until: dict[str, datetime] = {}
        for doc in self.docs.values():
            name, locked = doc.get("username"), doc.get("locked_until", NEVER)
            if name in usernames and locked > now:
                until[name] = max(locked, until.get(name, locked))
        return until

    async def note_unaudited(self, key: str, fields: Document, now: datetime) -> Document:
        doc = self.docs.setdefault(key, {"_id": key, **fields, "unaudited": 0, "audited_at": NEVER})
        doc["unaudited"] += 1
        doc["expires_at"] = now + timedelta(days=1)
        return copy.deepcopy(doc)

    async def claim_audit(self, key: str, seen_audited_at: datetime, now: datetime, count: int) -> bool:
        doc = self.docs.get(key)
        if doc is None or doc["audited_at"] != seen_audited_at:
            return False
        doc.update(audited_at=now, unaudited=doc["unaudited"] - count)
        return True

    async def prune(self, now: datetime) -> None:
        self.docs = {k: d for k, d in self.docs.items() if d["expires_at"] >= now}


class FakeAudit:
    """The audit log: entries by id, so writing the same entry twice keeps one (like the store)."""

    def __init__(self) -> None:
        self.entries: dict[str, Document] = {}
        self.fail = False

    async def __call__(self, entries: list[Document]) -> None:
        if self.fail:
            raise ConnectionError("store unavailable")
        for item in entries:
            self.entries.setdefault(item["_id"], copy.deepcopy(item))

    def actions(self) -> list[str]:
        return [e["action"] for e in self.entries.values()]

    def of(self, action: str) -> list[Document]:
        return [e for e in self.entries.values() if e["action"] == action]


class AccountsWorld:
    """Accounts on fakes, with the fakes at hand for assertions."""

    def __init__(self, policy: ThrottlePolicy | None = None, session_lifetime_s: int = 3600) -> None:
        self.repo, self.failures, self.audit, self.clock = (
            FakeAccountRepository(),
            FakeFailures(),
            FakeAudit(),
            FakeClock(),
        )
        self.accounts = Accounts(
            self.repo,
            LoginThrottle(self.failures, policy or ThrottlePolicy()),
            self.audit,
            session_lifetime=timedelta(seconds=session_lifetime_s),
            clock=self.clock,
        )

    async def add(self, name: str, role: str = "operator") -> None:
        await self.accounts.add_user(name, role, PASSWORD, actor="cli:root")

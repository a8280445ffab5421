"""In-memory stand-ins for the accounts store, the login-failure counters and the audit log (fakes,
not mocks), and an `Accounts` built on them."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from desk_fakes import FakeClock

from services.desk.accounts import Accounts
from services.desk.throttle import LoginThrottle, ThrottlePolicy

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
    """The failures and locks of `throttle.MongoFailures`, in a dict."""

    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}

    async def active_locks(self, keys: list[str], now: datetime) -> list[Document]:
        locks = (self.docs.get(f"lock:{k}") for k in keys)
        return [copy.deepcopy(d) for d in locks if d is not None and d["locked_until"] > now]

    async def add_failures(self, records: list[Document]) -> None:
        for record in records:
            assert record["_id"] not in self.docs
            self.docs[record["_id"]] = copy.deepcopy(record)

    async def count_failures(self, key: str, since: datetime) -> int:
        return sum(1 for d in self._failures(key) if d["at"] > since)

    async def remove_failures(self, ids: list[str]) -> None:
        for record_id in ids:
            self.docs.pop(record_id, None)

    async def lock(self, key: str, fields: Document, until: datetime) -> None:
        self.docs[f"lock:{key}"] = {**fields, "kind": "lock", "locked_until": until, "expires_at": until}
        await self.remove_failures([d["_id"] for d in self._failures(key)])

    async def clear(self, key: str) -> None:
        self.docs = {i: d for i, d in self.docs.items() if d["key"] != key}

    async def clear_username(self, username: str) -> int:
        mine = [i for i, d in self.docs.items() if d.get("username") == username]
        for record_id in mine:
            del self.docs[record_id]
        return len(mine)

    async def locked_usernames(self, usernames: list[str], now: datetime) -> dict[str, datetime]:
        until: dict[str, datetime] = {}
        for doc in self.docs.values():
            name = doc.get("username")
            if doc["kind"] == "lock" and name in usernames and doc["locked_until"] > now:
                until[name] = max(doc["locked_until"], until.get(name, doc["locked_until"]))
        return until

    async def prune(self, now: datetime) -> None:
        self.docs = {i: d for i, d in self.docs.items() if d["expires_at"] >= now}

    def _failures(self, key: str) -> list[Document]:
        return [d for d in self.docs.values() if d["key"] == key and d["kind"] == "failure"]


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

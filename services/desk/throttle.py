"""Login throttling that a stranger cannot turn against a user.

Failed logins are counted three ways, each in a fixed window, shared by all desk instances through
the store (`login_failures`):

- per username and source address: the usual lock, but only that address is refused, so a stranger
  typing the minister's name with wrong passwords locks out only themselves;
- per source address, whatever the usernames: stops one address spraying passwords across names;
- per username across all addresses: a short hold, reached only from many addresses (each address
  adds at most its own per-pair limit); an admin can lift it with `unlock`.

A refused attempt is not counted, so a lock is never prolonged by knocking on it. Failed-login audit
rows are rate-limited per username and address (see `failure_to_audit`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .store import create_indexes

Document = dict[str, Any]
LOGIN_FAILURES = "login_failures"
# When a gate was "last audited" before any row was written: long enough ago for the first failure.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
# How long an audit gate's unreported count is kept without new failures.
GATE_KEPT = timedelta(days=1)


class Scope(StrEnum):
    pair = "pair"  # one username from one address
    source = "source"  # one address, any username
    account = "account"  # one username, any address


class LoginThrottled(Exception):
    """Too many failed logins (HTTP 429 with Retry-After)."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Limit:
    max_failures: int
    window: timedelta  # failures counted since the first of the window
    lock: timedelta  # how long the scope is refused once the count reaches max_failures


@dataclass(frozen=True)
class ThrottlePolicy:
    pair: Limit = Limit(5, timedelta(minutes=15), timedelta(minutes=15))
    source: Limit = Limit(20, timedelta(minutes=15), timedelta(minutes=15))
    account: Limit = Limit(50, timedelta(minutes=15), timedelta(minutes=1))
    audit_every: timedelta = timedelta(minutes=1)  # at most one failed-login row per pair

    def limit(self, scope: Scope) -> Limit:
        limit: Limit = getattr(self, scope.value)
        return limit


class FailureRepository(Protocol):
    async def active_locks(self, keys: list[str], now: datetime) -> list[Document]:
        """The counters among `keys` whose `locked_until` is after `now`."""

    async def add_failure(self, key: str, fields: Document, now: datetime, window: timedelta) -> int:
        """Count one failure (a window that has passed starts over); returns the count in the window."""

    async def lock(self, key: str, now: datetime, until: datetime, window: timedelta) -> None:
        """Refuse the counter's scope until `until`; its count starts over in a new window."""

    async def clear(self, key: str) -> None: ...

    async def clear_username(self, username: str) -> int:
        """Drop every counter of a username (its own and its per-address ones); returns how many."""

    async def locked_usernames(self, usernames: list[str], now: datetime) -> dict[str, datetime]:
        """For each username with a lock in force (any address), when the last of them ends."""

    async def note_unaudited(self, key: str, fields: Document, now: datetime) -> Document:
        """Count one failure not yet in the audit; returns the gate (`unaudited`, `audited_at`)."""

    async def claim_audit(self, key: str, seen_audited_at: datetime, now: datetime, count: int) -> bool:
        """Take the right to write the audit row (only if nobody did since `seen_audited_at`)."""

    async def prune(self, now: datetime) -> None:
        """Drop counters whose window and lock have both passed."""


def counter_key(scope: Scope, username: str, source: str) -> str:
    if scope is Scope.pair:
        return f"pair:{username}@{source}"
    return f"source:{source}" if scope is Scope.source else f"account:{username}"


def _fields(scope: Scope, username: str, source: str) -> Document:
    fields: Document = {"scope": scope.value}
    if scope is not Scope.source:
        fields["username"] = username
    if scope is not Scope.account:
        fields["source"] = source
    return fields


def _refusal(scope: Scope, wait_s: int) -> str:
    wait = f"{-(-wait_s // 60)} minutes" if wait_s >= 120 else f"{wait_s} seconds"
    if scope is Scope.source:
        return f"too many failed logins from your address; try again in {wait}"
    where = "your address" if scope is Scope.pair else "many addresses"
    return (
        f"too many failed logins for this account from {where}; "
        f"try again in {wait}, or ask an admin to unlock the account"
    )


@dataclass
class LoginThrottle:
    repo: FailureRepository
    policy: ThrottlePolicy = ThrottlePolicy()

    async def check(self, username: str, source: str, now: datetime) -> None:
        """Raises LoginThrottled while any of the three scopes of this attempt is locked."""
        keys = {counter_key(scope, username, source): scope for scope in Scope}
        locks = await self.repo.active_locks(list(keys), now)
        if not locks:
            return
        longest = max(locks, key=lambda doc: doc["locked_until"])
        wait_s = max(1, int((longest["locked_until"] - now).total_seconds() + 0.999))
        raise LoginThrottled(_refusal(keys[longest["_id"]], wait_s), wait_s)

    async def note_failure(self, username: str, source: str, now: datetime) -> None:
        for scope in Scope:
            key, limit = counter_key(scope, username, source), self.policy.limit(scope)
            count = await self.repo.add_failure(key, _fields(scope, username, source), now, limit.window)
            if count >= limit.max_failures:
                await self.repo.lock(key, now, now + limit.lock, limit.window)

    async def note_success(self, username: str, source: str) -> None:
        """The pair starts over; the address and account counts stand (a spray may include a hit)."""
        await self.repo.clear(counter_key(Scope.pair, username, source))

    async def unlock(self, username: str) -> int:
        return await self.repo.clear_username(username)

    async def locked_until(self, usernames: Iterable[str], now: datetime) -> dict[str, datetime]:
        return await self.repo.locked_usernames(list(usernames), now)

    async def failure_to_audit(self, username: str, source: str, now: datetime) -> int | None:
        """How many failures of this username from this address the audit row should report, or None
        when a row was written less than `audit_every` ago (the count then waits for the next row)."""
        key = f"audit:{username}@{source}"
        gate = await self.repo.note_unaudited(key, {"scope": "audit", "username": username}, now)
        if gate["audited_at"] > now - self.policy.audit_every:
            return None
        count = int(gate["unaudited"])
        if await self.repo.claim_audit(key, gate["audited_at"], now, count):
            return count
        return None

    async def prune(self, now: datetime) -> None:
        await self.repo.prune(now)


async def ensure_failure_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(
        db[LOGIN_FAILURES],
        [
            IndexModel([("username", ASCENDING)], name="by_user"),
            IndexModel([("expires_at", ASCENDING)], name="expiry"),
        ],
    )


class MongoFailures:
    """Counters as small documents keyed by scope; FerretDB has no TTL index, so `prune` clears them."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.counters = db[LOGIN_FAILURES]

    async def active_locks(self, keys: list[str], now: datetime) -> list[Document]:
        query = {"_id": {"$in": keys}, "locked_until": {"$gt": now}}
        return [doc async for doc in self.counters.find(query)]

    async def add_failure(self, key: str, fields: Document, now: datetime, window: timedelta) -> int:
        await self.counters.delete_one({"_id": key, "first_at": {"$lt": now - window}})
        update = {
            "$inc": {"count": 1},
            "$setOnInsert": {**fields, "first_at": now, "expires_at": now + window},
        }
        return int((await self._upsert(key, update))["count"])

    async def lock(self, key: str, now: datetime, until: datetime, window: timedelta) -> None:
        kept = max(until, now + window)
        changes = {"count": 0, "first_at": now, "locked_until": until, "expires_at": kept}
        await self.counters.update_one({"_id": key}, {"$set": changes})

    async def clear(self, key: str) -> None:
        await self.counters.delete_one({"_id": key})

    async def clear_username(self, username: str) -> int:
        return (await self.counters.delete_many({"username": username})).deleted_count

    async def locked_usernames(self, usernames: list[str], now: datetime) -> dict[str, datetime]:
        query = {"username": {"$in": usernames}, "locked_until": {"$gt": now}}
        until: dict[str, datetime] = {}
        async for doc in self.counters.find(query):
            name = doc["username"]
            until[name] = max(doc["locked_until"], until.get(name, doc["locked_until"]))
        return until

    async def note_unaudited(self, key: str, fields: Document, now: datetime) -> Document:
        update = {
            "$inc": {"unaudited": 1},
            "$set": {"expires_at": now + GATE_KEPT},
            "$setOnInsert": {**fields, "audited_at": NEVER},
        }
        return await self._upsert(key, update)

    async def claim_audit(self, key: str, seen_audited_at: datetime, now: datetime, count: int) -> bool:
        result = await self.counters.update_one(
            {"_id": key, "audited_at": seen_audited_at},
            {"$set": {"audited_at": now}, "$inc": {"unaudited": -count}},
        )
        return result.matched_count == 1

    async def prune(self, now: datetime) -> None:
        await self.counters.delete_many({"expires_at": {"$lt": now}})

    async def _upsert(self, key: str, update: Document) -> Document:
        # Two first failures at once may both try to insert; the loser's retry finds the document.
        for attempt in range(2):
            try:
                doc = await self.counters.find_one_and_update(
                    {"_id": key}, update, upsert=True, return_document=ReturnDocument.AFTER
                )
            except DuplicateKeyError:
                if attempt:
                    raise
                continue
            if doc is not None:
                return doc
        raise RuntimeError(f"the upsert of login counter {key} returned nothing")

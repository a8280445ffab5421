"""Login throttling that a stranger cannot turn against a user.

Failed logins are counted three ways, each in a window, shared by all desk instances through the
store (`login_failures`):

- per username and source address: the usual lock, but only that address is refused, so a stranger
  typing the minister's name with wrong passwords locks out only themselves;
- per source address, whatever the usernames: stops one address spraying passwords across names;
- per username across all addresses: a short hold, reached only from many addresses (each address
  adds at most its own per-pair limit); an admin can lift it with `unlock`.

Every failure is its own inserted record, counted afterwards: FerretDB 1.24 loses concurrent `$inc`
updates (measured: 10 parallel increments of one counter left 3 or 4), and inserts are never lost.
An attempt is recorded as a failure *before* its password is checked and the record is removed if
it succeeds, so a burst of parallel guesses is counted while in flight and cannot exceed the limit.
A refused attempt is not counted, so knocking on a lock never prolongs it.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .store import create_indexes

Document = dict[str, Any]
LOGIN_FAILURES = "login_failures"
# When parallel attempts have already used a scope's allowance: wait until they are decided.
BUSY_WAIT_S = 5


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
    window: timedelta  # failures counted over the last `window`
    lock: timedelta  # how long the scope is refused once the count reaches max_failures


@dataclass(frozen=True)
class ThrottlePolicy:
    pair: Limit = Limit(5, timedelta(minutes=15), timedelta(minutes=15))
    source: Limit = Limit(20, timedelta(minutes=15), timedelta(minutes=15))
    account: Limit = Limit(50, timedelta(minutes=15), timedelta(minutes=1))

    def limit(self, scope: Scope) -> Limit:
        limit: Limit = getattr(self, scope.value)
        return limit


class FailureRepository(Protocol):
    async def active_locks(self, keys: list[str], now: datetime) -> list[Document]:
        """The locks on `keys` (`key`, `locked_until`) still in force at `now`."""

    async def add_failures(self, records: list[Document]) -> None: ...

    async def count_failures(self, key: str, since: datetime) -> int: ...

    async def remove_failures(self, ids: list[str]) -> None: ...

    async def lock(self, key: str, fields: Document, until: datetime) -> None:
        """Refuse the key's scope until `until`; its failures are dropped, so the count starts over."""

    async def clear(self, key: str) -> None:
        """Drop the key's failures and lock."""

    async def clear_username(self, username: str) -> int:
        """Drop every failure and lock of a username (its own and per address); returns how many."""

    async def locked_usernames(self, usernames: list[str], now: datetime) -> dict[str, datetime]:
        """For each username with a lock in force (any address), when the last of them ends."""

    async def prune(self, now: datetime) -> None:
        """Drop failures and locks that no longer count."""


def counter_key(scope: Scope, username: str, source: str) -> str:
    if scope is Scope.pair:
        return f"pair:{username}@{source}"
    return f"source:{source}" if scope is Scope.source else f"account:{username}"


def _fields(scope: Scope, username: str, source: str) -> Document:
    fields: Document = {"key": counter_key(scope, username, source), "scope": scope.value}
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


@dataclass(frozen=True)
class Attempt:
    """A login under way: counted as failed (in every scope) until it succeeds."""

    username: str
    source: str
    at: datetime
    record_ids: tuple[str, ...]
    counts: dict[Scope, int]  # failures in each scope's window, this attempt included

    @property
    def pair_failures(self) -> int:
        return self.counts[Scope.pair]


@dataclass
class LoginThrottle:
    repo: FailureRepository
    policy: ThrottlePolicy = ThrottlePolicy()

    async def begin(self, username: str, source: str, now: datetime) -> Attempt:
        """Raises LoginThrottled while a scope of this attempt is locked, or its allowance is taken by
        attempts in flight; otherwise records the attempt as a failure and returns it."""
        await self._refuse_if_locked(username, source, now)
        token = secrets.token_hex(8)
        records = [
            {"_id": f"{counter_key(s, username, source)}#{token}", "kind": "failure", "at": now}
            | _fields(s, username, source)
            | {"expires_at": now + self.policy.limit(s).window}
            for s in Scope
        ]
        await self.repo.add_failures(records)
        ids = tuple(str(r["_id"]) for r in records)
        counts = {
            s: await self.repo.count_failures(
                counter_key(s, username, source), now - self.policy.limit(s).window
            )
            for s in Scope
        }
        busy = [s for s in Scope if counts[s] > self.policy.limit(s).max_failures]
        if busy:
            await self.repo.remove_failures(list(ids))
            raise LoginThrottled(_refusal(busy[0], BUSY_WAIT_S), BUSY_WAIT_S)
        return Attempt(username, source, now, ids, counts)

    async def failed(self, attempt: Attempt) -> None:
        """The attempt stays counted; a scope that reached its limit is locked."""
        for scope in Scope:
            limit = self.policy.limit(scope)
            if attempt.counts[scope] >= limit.max_failures:
                fields = _fields(scope, attempt.username, attempt.source)
                await self.repo.lock(fields["key"], fields, attempt.at + limit.lock)

    async def succeeded(self, attempt: Attempt) -> None:
        """Not a failure after all; the pair starts over (the address and account counts stand: a
        spray may include a hit)."""
        await self.repo.remove_failures(list(attempt.record_ids))
        await self.repo.clear(counter_key(Scope.pair, attempt.username, attempt.source))

    async def unlock(self, username: str) -> int:
        return await self.repo.clear_username(username)

    async def locked_until(self, usernames: Iterable[str], now: datetime) -> dict[str, datetime]:
        return await self.repo.locked_usernames(list(usernames), now)

    async def prune(self, now: datetime) -> None:
        await self.repo.prune(now)

    async def _refuse_if_locked(self, username: str, source: str, now: datetime) -> None:
        keys = {counter_key(scope, username, source): scope for scope in Scope}
        locks = await self.repo.active_locks(list(keys), now)
        if not locks:
            return
        longest = max(locks, key=lambda doc: doc["locked_until"])
        wait_s = max(1, int((longest["locked_until"] - now).total_seconds() + 0.999))
        raise LoginThrottled(_refusal(keys[longest["key"]], wait_s), wait_s)


async def ensure_failure_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(
        db[LOGIN_FAILURES],
        [
            IndexModel([("key", ASCENDING), ("at", ASCENDING)], name="by_key"),
            IndexModel([("username", ASCENDING)], name="by_user"),
            IndexModel([("expires_at", ASCENDING)], name="expiry"),
        ],
    )


class MongoFailures:
    """Failures and locks as small documents; FerretDB has no TTL index, so `prune` clears them."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.docs = db[LOGIN_FAILURES]

    async def active_locks(self, keys: list[str], now: datetime) -> list[Document]:
        query = {"_id": {"$in": [f"lock:{k}" for k in keys]}, "locked_until": {"$gt": now}}
        return [doc async for doc in self.docs.find(query)]

    async def add_failures(self, records: list[Document]) -> None:
        await self.docs.insert_many(records, ordered=False)

    async def count_failures(self, key: str, since: datetime) -> int:
        return await self.docs.count_documents({"key": key, "kind": "failure", "at": {"$gt": since}})

    async def remove_failures(self, ids: list[str]) -> None:
        await self.docs.delete_many({"_id": {"$in": ids}})

    async def lock(self, key: str, fields: Document, until: datetime) -> None:
        lock = {**fields, "kind": "lock", "locked_until": until, "expires_at": until}
        with contextlib.suppress(DuplicateKeyError):  # a parallel failure set the same lock
            await self.docs.replace_one({"_id": f"lock:{key}"}, lock, upsert=True)
        await self.docs.delete_many({"key": key, "kind": "failure"})

    async def clear(self, key: str) -> None:
        await self.docs.delete_many({"key": key})

    async def clear_username(self, username: str) -> int:
        return (await self.docs.delete_many({"username": username})).deleted_count

    async def locked_usernames(self, usernames: list[str], now: datetime) -> dict[str, datetime]:
        query = {"kind": "lock", "username": {"$in": usernames}, "locked_until": {"$gt": now}}
        until: dict[str, datetime] = {}
        async for doc in self.docs.find(query):
            name = doc["username"]
            until[name] = max(doc["locked_until"], until.get(name, doc["locked_until"]))
        return until

    async def prune(self, now: datetime) -> None:
        await self.docs.delete_many({"expires_at": {"$lt": now}})

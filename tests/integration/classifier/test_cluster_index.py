"""MongoClusterIndex against the real store (FerretDB 1.24 locally, MongoDB in production)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.classifier.engine import ClassifyInput, MongoClusterIndex, signature_of
from services.classifier.engine.mongo_clusters import COLLECTION

pytestmark = pytest.mark.integration

MONGO_URL = os.environ.get("JAUAP_MONGO_URL", "mongodb://127.0.0.1:27017")
QUESTION = (
    "Здравствуйте! Работодатель уже четыре месяца не платит зарплату, куда обращаться "
    "и как вернуть долг по заработной плате?"
)
EDITED = QUESTION.replace("Здравствуйте!", "Добрый день,").replace("четыре", "4")
DIFFERENT = "Какие документы нужны для оформления пособия многодетной семье в Шымкенте?"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def database() -> AsyncIterator[AsyncDatabase[Any]]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(MONGO_URL, serverSelectionTimeoutMS=5000)
    name = f"jauap_test_classifier_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


async def _assign(
    index: MongoClusterIndex, texts: list[str], at: list[datetime], prefix: str = "m"
) -> list[str]:
    items = [
        ClassifyInput(id=f"{prefix}{i}-{moment.timestamp()}", text=text, at=moment)
        for i, (text, moment) in enumerate(zip(texts, at, strict=True))
    ]
    return await index.assign(items, [signature_of(text) for text in texts])


async def test_duplicates_share_a_cluster_and_survive_restarts(
    database: AsyncDatabase[Any],
) -> None:
    index = MongoClusterIndex(database)
    await index.ensure_indexes()
    first, edited, different = await _assign(index, [QUESTION, EDITED, DIFFERENT], [T0] * 3)
    assert first == edited != different
    # A new instance (a restart, another replica) reads the same bands.
    restarted = MongoClusterIndex(database)
    (again,) = await _assign(restarted, [QUESTION + "!!"], [T0 + timedelta(days=2)])
    assert again == first
    assert await database[COLLECTION].count_documents({}) > 0


async def test_window_expiry_starts_a_new_cluster(database: AsyncDatabase[Any]) -> None:
    index = MongoClusterIndex(database, window=timedelta(days=14))
    (first,) = await _assign(index, [QUESTION], [T0])
    (late,) = await _assign(index, [QUESTION], [T0 + timedelta(days=30)])
    (later,) = await _assign(index, [EDITED], [T0 + timedelta(days=31)])
    assert late != first
    assert later == late


async def test_concurrent_instances_agree(database: AsyncDatabase[Any]) -> None:
    """Two instances see one new question at once: the first band insert wins, the other adopts it."""
    one, two = MongoClusterIndex(database), MongoClusterIndex(database)
    await one.ensure_indexes()
    results = await asyncio.gather(
        _assign(one, [QUESTION], [T0], prefix="a"),
        _assign(two, [EDITED], [T0], prefix="b"),
    )
    (first,), (second,) = results
    assert first == second
    (third,) = await _assign(one, [QUESTION + " Помогите."], [T0 + timedelta(hours=1)])
    assert third == first


async def test_instances_racing_on_a_whole_batch_agree(database: AsyncDatabase[Any]) -> None:
    texts = [QUESTION, DIFFERENT, "Как встать на учет в центр занятости как безработный?"]
    instances = [MongoClusterIndex(database) for _ in range(2)]
    await instances[0].ensure_indexes()  # the service does this at start-up
    results = await asyncio.gather(
        *(_assign(index, texts, [T0] * 3, prefix=f"i{n}") for n, index in enumerate(instances))
    )
    assert all(result == results[0] for result in results)
    assert len(set(results[0])) == 3


async def test_a_second_instance_joins_a_cluster_kept_open_by_the_first(database: AsyncDatabase[Any]) -> None:
    """Instance A keeps seeing near-duplicates, so its cluster stays open past the first message's
    window; a fresh instance B (a restart, another replica) must see the refreshed window in the
    store and join the same cluster rather than start a new one."""
    window = timedelta(days=14)
    a = MongoClusterIndex(database, window=window)
    await a.ensure_indexes()
    (first,) = await _assign(a, [QUESTION], [T0], prefix="a")
    # Reposts that differ only in case and punctuation: the same bands, refreshed, never reset.
    for day, text in ((5, QUESTION.upper()), (10, QUESTION + "!!"), (20, "RT: " + QUESTION)):
        (seen,) = await _assign(a, [text], [T0 + timedelta(days=day)], prefix=f"a{day}")
        assert seen == first
    b = MongoClusterIndex(database, window=window)
    # Beyond the first message's window (T0 + 14 d), within the refreshed one (T0 + 20 d + 14 d).
    (joined,) = await _assign(b, [QUESTION + "?"], [T0 + timedelta(days=30)], prefix="b")
    assert joined == first
    (after_b,) = await _assign(a, [EDITED], [T0 + timedelta(days=31)], prefix="a31")
    assert after_b == first


async def test_an_instance_sees_that_another_kept_a_cluster_open(database: AsyncDatabase[Any]) -> None:
    """A's own memory of a band says stale; B's sightings in the store say open: A must ask."""
    a, b = MongoClusterIndex(database), MongoClusterIndex(database)
    (first,) = await _assign(a, [QUESTION], [T0], prefix="a")
    for day in (5, 10):
        (seen,) = await _assign(b, [QUESTION + "!"], [T0 + timedelta(days=day)], prefix=f"b{day}")
        assert seen == first
    (again,) = await _assign(a, [QUESTION + "?"], [T0 + timedelta(days=20)], prefix="a20")
    assert again == first


async def test_sightings_are_inserted_once_per_band_and_period_and_nothing_is_updated(
    database: AsyncDatabase[Any],
) -> None:
    """Updates are what FerretDB 1.24 cannot afford: a band seen again inserts one sighting per
    refresh period, and the band's first document is never rewritten."""
    index = MongoClusterIndex(database, window=timedelta(days=14))
    await _assign(index, [QUESTION], [T0])
    bands = {doc["_id"]: doc async for doc in database[COLLECTION].find({})}
    assert len(bands) == 20

    async def stored() -> dict[str, Any]:
        return {doc["_id"]: doc async for doc in database[COLLECTION].find({})}

    step = index.refresh_step
    next_period = datetime.fromtimestamp((index.period(T0) + 1) * step.total_seconds(), UTC)
    for moment in (next_period, next_period + step / 2):  # twice in the same period
        await _assign(index, [QUESTION + "!"], [moment], prefix=f"s{moment.timestamp()}")
    after = await stored()
    sightings = {key: doc for key, doc in after.items() if key not in bands}
    assert sorted(sightings) == sorted(f"{key}@{index.period(next_period)}" for key in bands)
    assert {doc["last_seen"].replace(tzinfo=UTC) for doc in sightings.values()} == {next_period}
    assert {key: after[key] for key in bands} == bands  # never updated
    await _assign(index, [QUESTION], [next_period + step * 2], prefix="later")
    assert len(await stored()) == 60

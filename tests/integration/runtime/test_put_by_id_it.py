"""`put_by_id` on the real store: writers racing to store the same `_id` all succeed, one document
stays. A plain `replace_one(upsert=True)` is a read and an insert on FerretDB, so two of them at once
can both find nothing, and the second insert fails with a duplicate key: the desk answered an
approval that had gone through with a 500 that way (its open-queue tombstones)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.runtime.store import Document, put_by_id

pytestmark = pytest.mark.integration

WRITERS = 16


async def test_writers_racing_on_one_id_all_succeed_and_one_document_stays(
    fresh_db: AsyncDatabase[Document],
) -> None:
    collection = fresh_db["racing"]
    for round_ in range(5):
        key = uuid.uuid4().hex
        results = await asyncio.gather(
            *(put_by_id(collection, {"_id": key, "writer": i, "round": round_}) for i in range(WRITERS)),
            return_exceptions=True,
        )
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert await collection.count_documents({"_id": key}) == 1

"""Creates the event topics and their dead-letter topics with explicit partition counts."""

from __future__ import annotations

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from schemas import COMPACTED_TOPICS, TOPICS, dlq_topic

log = logging.getLogger("jauap.topics")

PARTITIONS = 6
DLQ_PARTITIONS = 1


def all_topics(partitions: int = PARTITIONS) -> dict[str, int]:
    wanted = {topic: partitions for topic in TOPICS}
    wanted.update({dlq_topic(topic): DLQ_PARTITIONS for topic in TOPICS})
    return wanted


def topic_config(name: str) -> dict[str, str]:
    """A compacted topic keeps the last record of every key for ever (the knowledge base)."""
    return {"cleanup.policy": "compact"} if name in COMPACTED_TOPICS else {}


async def ensure_topics(bootstrap: str, wanted: dict[str, int]) -> list[str]:
    """Create the missing topics; returns the names it created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="jauap-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=count, replication_factor=1, topic_configs=topic_config(name))
            for name, count in wanted.items()
            if name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
            log.info("created topics", extra={"topics": [t.name for t in missing]})
        return [t.name for t in missing]
    finally:
        await admin.close()

"""Consumer groups a benchmark's services start at the end of their topics.

The services read a new group's topic from the earliest record. On the benchmark's stack the topics
hold every earlier run: a service would first work through them (intake's status consumers through
every classified question of every pipeline run), and a run that publishes what another benchmark's
stable groups read (the web form's questions, read by the pipeline benchmark's classifier) would
leave that benchmark a backlog. So each benchmark moves the groups it starts, or leaves behind, to
the topics' ends: it measures only its own load, and leaves none.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition

from .load import partitions_of


def group_id(prefix: str, service: str, purpose: str) -> str:
    """As the services name their groups (`ServiceSettings.consumer_group`)."""
    return f"{prefix}.{service}.{purpose}"


async def groups_to_the_end(bootstrap: str, groups: Mapping[str, str]) -> None:
    """Commit each group's offsets at its topic's current end (group id → topic). The group must
    have no running member (its services are not started yet, or have stopped)."""
    for group, topic in groups.items():
        partitions = [TopicPartition(topic, p) for p in sorted(await partitions_of(bootstrap, topic))]
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.commit(dict(await consumer.end_offsets(partitions)))
        finally:
            await consumer.stop()

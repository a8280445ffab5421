"""`jauap topics` creates the knowledge base's topic compacted (the last version of every entry stays
for a classifier that starts later), and every other topic with the broker's age-based deletion."""

from schemas import COMPACTED_TOPICS, KnowledgeEntryChanged
from services.runtime.topics import all_topics, topic_config


def test_only_the_knowledge_topic_is_compacted() -> None:
    compacted = {name for name in all_topics() if topic_config(name) == {"cleanup.policy": "compact"}}
    assert compacted == COMPACTED_TOPICS == {KnowledgeEntryChanged.TOPIC}
    assert all(topic_config(name) == {} for name in all_topics() if name not in compacted)

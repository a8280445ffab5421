"""The classifier engine: language, topic, intent, urgency, region, PII, FAQ, duplicate clusters.

engine = Engine.load()
results = engine.classify_batch(items)                  # cluster_id is None here
ids = await assign_clusters(index, [i.id for i in items], engine.signatures(items),
                            [i.at for i in items])
results = [r.model_copy(update={"cluster_id": c}) for r, c in zip(results, ids)]
"""

from channels.pii import find_pii, is_valid_iin, redact

from .clusters import (
    DEFAULT_WINDOW,
    ClusterIndex,
    ClusterItem,
    MemoryClusterIndex,
    Signature,
    assign_clusters,
    signature_of,
)
from .engine import ClassifyInput, Engine
from .faq import FaqEntry, FaqIndex
from .mongo_clusters import MongoClusterIndex
from .training import train_model

__all__ = [
    "DEFAULT_WINDOW",
    "ClassifyInput",
    "ClusterIndex",
    "ClusterItem",
    "Engine",
    "FaqEntry",
    "FaqIndex",
    "MemoryClusterIndex",
    "MongoClusterIndex",
    "Signature",
    "assign_clusters",
    "find_pii",
    "is_valid_iin",
    "redact",
    "signature_of",
    "train_model",
]

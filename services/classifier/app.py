"""Wiring: the batch consumer on questions.received.v1, the cluster index in the store, HTTP ops."""

from __future__ import annotations

from fastapi import FastAPI

from schemas import QuestionClassified, QuestionReceived
from services.classifier.engine import Engine, MongoClusterIndex
from services.runtime.broker import publish_events
from services.runtime.service import Runtime, build_service, run_from_command_line

from .handlers import ClassifyQuestions
from .knowledge import KnowledgeFollower
from .settings import ClassifierSettings


def create_app(settings: ClassifierSettings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or ClassifierSettings()
    engine = engine or Engine.load(settings.model_path, settings.check_below)

    def wire(runtime: Runtime, app: FastAPI) -> None:
        clusters = MongoClusterIndex(runtime.db)
        runtime.state["clusters"] = clusters

        async def publish(events: list[QuestionClassified]) -> None:
            await publish_events(runtime.broker, list(events))

        runtime.subscribe_batches(
            "questions",
            event=QuestionReceived,
            handle_batch=ClassifyQuestions(engine, clusters, publish),
            description="Classify citizens' questions and publish them enriched.",
            max_records=settings.batch_size,
        )

    async def on_start(runtime: Runtime) -> None:
        await runtime.state["clusters"].ensure_indexes()
        knowledge = KnowledgeFollower(
            settings.kafka_bootstrap, engine.faq, client_id=f"{settings.service_name}-knowledge"
        )
        runtime.state["knowledge"] = knowledge
        await knowledge.start()  # the whole knowledge base before the first question

    async def on_stop(runtime: Runtime) -> None:
        if (knowledge := runtime.state.pop("knowledge", None)) is not None:
            await knowledge.stop()

    return build_service(
        settings,
        title="Jauap classifier",
        description="questions.received.v1 → language, topic, intent, urgency, region, personal data, "
        "near-duplicate cluster, suggested answers → questions.classified.v1",
        wire=wire,
        uses_store=True,
        on_start=on_start,
        on_stop=on_stop,
    )


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(
        argv,
        name="classifier",
        description="Classify citizens' questions: questions.received.v1 to questions.classified.v1.",
        settings_class=ClassifierSettings,
        create_app=create_app,
    )

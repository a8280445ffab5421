"""W3C trace context across the services: one trace per question, from intake to delivery.

A question's trace starts at intake: from the `traceparent` header of the request that brought it
(a client that traces its own calls sees our spans under its own), or a new trace when there is
none (pollers, untraced webhooks). It travels in every event's `trace` field, which is the one
that counts (it survives dead-lettering and replays, and batch consumers read it per event), and
in the Kafka headers `traceparent`/`tracestate`, for tools that read headers only.

Each hop is an OpenTelemetry span: consuming an event is a CONSUMER span under the event's
context, publishing one a PRODUCER span under the current one, so each event carries its own
parent id and a collector can draw the whole path. Spans leave the process only when
`OTEL_EXPORTER_OTLP_ENDPOINT` is set (OTLP over HTTP, the SDK's standard variables apply); without
it they only give log lines their `trace_id` (docs/architecture.md, Observability).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Receive, Scope, Send

from schemas import Event

TRACEPARENT, TRACESTATE = "traceparent", "tracestate"
OTLP_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-(?P<trace_id>[0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_PROPAGATOR = TraceContextTextMapPropagator()
_provider = TracerProvider(resource=Resource.create({"service.name": "jauap"}))
_tracer = _provider.get_tracer(
    "jauap"
)  # one per provider: getting a tracer per span costs more than the span

EV = TypeVar("EV", bound=Event)


def configure_tracing(service: str) -> None:
    """This process's spans are the service's; exported only when a collector is configured."""
    global _provider, _tracer
    _provider = TracerProvider(resource=Resource.create({"service.name": f"jauap-{service}"}))
    _tracer = _provider.get_tracer("jauap")
    if os.environ.get(OTLP_ENDPOINT_VARIABLE):
        # Imported only here: without a collector the exporter's protobuf stack is never loaded.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))


def trace_id_of(carrier: Mapping[str, str]) -> str | None:
    """The 32-hex trace id of a `trace` field or header set, or None when it holds no valid one."""
    match = _TRACEPARENT.match(carrier.get(TRACEPARENT, ""))
    if match is None or set(match["trace_id"]) == {"0"}:
        return None
    return match["trace_id"]


def current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def kafka_headers(event: object) -> dict[str, str]:
    """The trace entries of an event's `trace` field, as Kafka headers (none for a non-event body)."""
    carrier = event.trace if isinstance(event, Event) else {}
    return {key: carrier[key] for key in (TRACEPARENT, TRACESTATE) if key in carrier}


def _parent_of(carrier: Mapping[str, str]) -> otel_context.Context | None:
    """The event's own trace, unless it is the one being handled already (None: the current span).

    A batch handler runs outside any one event's span, so an event it publishes continues the trace
    its input carried; inside a single event's span, the publish is a child of that span."""
    carried = trace_id_of(carrier)
    if carried is None or carried == current_trace_id():
        return None
    return _PROPAGATOR.extract(dict(carrier))


@contextmanager
def publishing(event: EV) -> Iterator[EV]:
    """A PRODUCER span around a publish; yields the event with that span in its `trace` field.

    An event with no trace yet (a question at intake) starts one: under the incoming request's
    context when it had a `traceparent`, else a new trace. A body that is no `Event` has no trace
    field and is published as it is."""
    if not isinstance(event, Event):
        yield event
        return
    parent = _parent_of(event.trace)
    with _tracer.start_as_current_span(f"publish {event.TOPIC}", context=parent, kind=SpanKind.PRODUCER):
        carrier = {k: v for k, v in event.trace.items() if k not in (TRACEPARENT, TRACESTATE)}
        _PROPAGATOR.inject(carrier)
        yield event.model_copy(update={"trace": carrier})


@contextmanager
def consuming(name: str, carrier: Mapping[str, str]) -> Iterator[None]:
    """A CONSUMER span under the event's trace: log lines inside carry its trace id."""
    parent = _PROPAGATOR.extract(dict(carrier))
    with _tracer.start_as_current_span(name, context=parent, kind=SpanKind.CONSUMER):
        yield


def trace_of_headers(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """The trace context of a consumed record's Kafka headers (as `publish_event` set them)."""
    return {
        name: value.decode("latin-1")
        for name, value in headers
        if name in (TRACEPARENT, TRACESTATE) and value is not None
    }


class TraceIdFilter(logging.Filter):
    """Puts the current trace id on every record logged inside a traced request or event."""

    def filter(self, record: logging.LogRecord) -> bool:
        trace_id = current_trace_id()
        if trace_id is not None and not hasattr(record, "trace_id"):
            record.trace_id = trace_id
        return True


# Probes and scrapes: a span each would only be noise.
_UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class IncomingTraceparent:
    """ASGI middleware: each request runs in a SERVER span, under the caller's `traceparent` (and
    `tracestate`) when it sent one, else in a new trace; so what the request publishes, and every log
    line it writes, carries that trace. A malformed header is ignored (a new trace)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in _UNTRACED_PATHS:
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name in (b"traceparent", b"tracestate")
        }
        # An explicit empty context, not None (the current one): a request never joins another's trace.
        parent = _PROPAGATOR.extract(carrier) if trace_id_of(carrier) else otel_context.Context()
        # The method only: a path holds ids, and span names must stay few.
        with _tracer.start_as_current_span(
            f"HTTP {scope.get('method', '')}", context=parent, kind=SpanKind.SERVER
        ):
            await self.app(scope, receive, send)

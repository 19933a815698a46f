"""OpenTelemetry: one trace runs from the request that enqueued a task to the task's run."""

# NOTE: no `from __future__ import annotations`: tasks are defined inside the tests

import threading
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from vivace import Vivace
from vivace.tasks import Tasks
from vivace.testclient import TestClient


@pytest.fixture
def exporter() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    spans = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(spans))
    yield provider, spans
    provider.shutdown()


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    [span] = [span for span in spans if span.name == name]
    return span


def test_trace_continues_from_the_request_to_the_task(exporter: tuple[TracerProvider, InMemorySpanExporter]) -> None:
    """SERVER span -> PRODUCER `send` span -> CONSUMER `process` span, all in one trace; the task's own spans
    are children of the `process` span."""
    provider, spans = exporter
    app = Vivace(telemetry={"tracer_provider": provider, "metrics": False, "logs": False})
    tasks = Tasks()
    tasks.install(app)
    done = threading.Event()

    @tasks.task(name="emails.welcome")
    async def welcome(email: str) -> None:
        with provider.get_tracer("user-code").start_as_current_span("render template"):
            pass
        done.set()

    @app.post("/signup")
    async def signup(email: str) -> dict[str, str]:
        return {"task": (await welcome.enqueue(email)).id}

    with TestClient(app) as client:
        task_id = client.post("/signup", params={"email": "ada@example.org"}).json()["task"]
        assert done.wait(10)
    finished = spans.get_finished_spans()
    server = by_name(finished, "POST /signup")
    send = by_name(finished, "send emails.welcome")
    process = by_name(finished, "process emails.welcome")
    render = by_name(finished, "render template")
    assert (server.kind, send.kind, process.kind) == (SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER)
    trace_id = server.context.trace_id
    assert {send.context.trace_id, process.context.trace_id, render.context.trace_id} == {trace_id}
    assert process.parent is not None and process.parent.span_id == send.context.span_id
    assert render.parent is not None and render.parent.span_id == process.context.span_id
    assert process.attributes is not None
    assert dict(process.attributes)["messaging.message.id"] == task_id
    assert dict(process.attributes)["messaging.destination.name"] == "emails.welcome"


@pytest.mark.anyio
async def test_failed_task_span_records_the_error(exporter: tuple[TracerProvider, InMemorySpanExporter]) -> None:
    """A task that fails for good ends its `process` span with an error status and the exception event."""
    provider, spans = exporter
    tasks = Tasks(tracer_provider=provider)

    @tasks.task(name="broken")
    async def broken() -> None:
        raise KeyError("missing")

    async with tasks:
        handle = await broken.enqueue()
        with pytest.raises(Exception, match="KeyError"):
            await handle.result(timeout=10)
    process = [s for s in spans.get_finished_spans() if s.name == "process broken"][-1]
    assert process.status.status_code is trace.StatusCode.ERROR
    assert [event.name for event in process.events] == ["exception"]


@pytest.mark.anyio
async def test_nothing_is_recorded_without_a_provider() -> None:
    """With no provider configured anywhere, tasks run and no tracer is used."""
    tasks = Tasks()

    @tasks.task
    async def plain() -> int:
        return 1

    async with tasks:
        assert await (await plain.enqueue()).result(timeout=10) == 1
    assert tasks._tracing is not None and tasks._tracing.tracer() is None

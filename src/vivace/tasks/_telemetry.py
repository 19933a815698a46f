"""OpenTelemetry for tasks: one trace from the request that enqueued a task to the task's run in a worker.

Enqueuing injects the current context (W3C `traceparent`/`tracestate`) into the task's labels, inside a
PRODUCER span `send <task>`; running a task extracts it and records a CONSUMER span `process <task>` under it,
current while the task runs, so spans the task's own code makes join the same trace. Spans are recorded only
when a tracer provider is configured (the one given to `Tasks`, else the application's telemetry provider,
else OpenTelemetry's global one once set).

Imported only when OpenTelemetry is installed (see `_tasks.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from vivace import __version__

__all__ = ["TRACE_LABELS", "TaskTracing"]

TRACE_LABELS = ("traceparent", "tracestate")
_SCOPE = "vivace.tasks"


def _attributes(task: str, task_id: str, operation: str) -> dict[str, Any]:
    return {
        "messaging.system": "taskiq",
        "messaging.operation.type": operation,
        "messaging.operation.name": operation,
        "messaging.destination.name": task,
        "messaging.message.id": task_id,
    }


class TaskTracing:
    """Spans and context propagation for one `Tasks`; `provider()` says which tracer provider to use now."""

    def __init__(self, provider: Callable[[], Any]) -> None:
        self._provider = provider

    def tracer(self) -> Tracer | None:
        """A tracer from the configured provider, or None while none is configured (nothing is recorded)."""
        provider = self._provider() or trace.get_tracer_provider()
        if type(provider) is trace.ProxyTracerProvider:
            return None  # NOTE: the API's stand-in until the application sets a global provider
        return provider.get_tracer(_SCOPE, __version__)  # type: ignore[no-any-return]

    @contextmanager
    def sending(self, task: str, task_id: str, labels: MutableMapping[str, Any]) -> Iterator[None]:
        """Around sending a task: a PRODUCER span, and the trace context written into `labels`."""
        tracer = self.tracer()
        if tracer is None:
            _inject(labels)
            yield
            return
        with tracer.start_as_current_span(
            f"send {task}", kind=SpanKind.PRODUCER, attributes=_attributes(task, task_id, "send")
        ):
            _inject(labels)
            yield

    @contextmanager
    def processing(self, task: str, task_id: str, labels: MutableMapping[str, Any]) -> Iterator[None]:
        """Around running a task: a CONSUMER span under the context found in `labels`, current meanwhile."""
        parent = propagate.extract({k: str(labels[k]) for k in TRACE_LABELS if k in labels})
        tracer = self.tracer()
        if tracer is None:
            token = otel_context.attach(parent)
            try:
                yield
            finally:
                otel_context.detach(token)
            return
        span = tracer.start_span(
            f"process {task}", context=parent, kind=SpanKind.CONSUMER, attributes=_attributes(task, task_id, "process"),
            record_exception=False, set_status_on_exception=False,
        )  # fmt: skip
        with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
            try:
                yield
            except BaseException as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
                raise


def _inject(labels: MutableMapping[str, Any]) -> None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    for key in TRACE_LABELS:
        if key in carrier:
            labels[key] = carrier[key]

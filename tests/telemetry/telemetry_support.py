"""Helpers shared by the telemetry tests: in-memory OpenTelemetry providers and comparable span summaries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

FRAMEWORKS = ("vivace", "fastapi")


@dataclass
class Signals:
    """One framework's providers and what they collected."""

    config: dict[str, Any]
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader
    logs: InMemoryLogRecordExporter

    def shutdown(self) -> None:
        for key in ("tracer_provider", "meter_provider", "logger_provider"):
            self.config[key].shutdown()


def make_signals() -> Signals:
    spans = InMemorySpanExporter()
    tracer = TracerProvider(shutdown_on_exit=False)
    tracer.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    logs = InMemoryLogRecordExporter()
    logger = LoggerProvider(shutdown_on_exit=False)
    logger.add_log_record_processor(SimpleLogRecordProcessor(logs))
    config = {"tracer_provider": tracer, "meter_provider": meter, "logger_provider": logger}
    return Signals(config, spans, reader, logs)


def span_summary(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> tuple[Any, ...]:
    """What must match between the frameworks: name, kind, parent's name, attributes, status."""
    parent = by_id.get(span.parent.span_id) if span.parent is not None else None
    return (
        span.name,
        span.kind.name,
        None if parent is None else parent.name,
        dict(span.attributes or {}),
        span.status.status_code.name,
    )


def summaries(exporter: InMemorySpanExporter) -> list[tuple[Any, ...]]:
    spans = exporter.get_finished_spans()
    by_id = {span.context.span_id: span for span in spans}
    return [span_summary(span, by_id) for span in spans]


Build = Callable[[ModuleType, dict[str, Any]], Any]

from collections.abc import MutableMapping
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from vivace import FastAPI
from vivace.telemetry import TelemetryConfig

exporter = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))


def is_health_check(scope: MutableMapping[str, Any]) -> bool:
    return scope["path"] == "/health"


telemetry: TelemetryConfig = {
    "tracer_provider": tracer_provider,
    "operation_spans": False,  # one SERVER span per request, no child spans
    "metrics": False,
    "exclude": is_health_check,
}
app = FastAPI(telemetry=telemetry)


@app.get("/health")
def health() -> str:
    return "ok"


@app.get("/orders/{order_id}")
def read_order(order_id: int) -> dict[str, int]:
    return {"order_id": order_id}

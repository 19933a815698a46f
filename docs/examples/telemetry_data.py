from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from vivace import FastAPI
from vivace.telemetry import get_telemetry_data


class ClientVersion(SpanProcessor):
    """Adds the caller's declared client version to each endpoint span."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        data = get_telemetry_data()  # None outside a request
        if span.name == "fastapi.endpoint" and data is not None and data.request is not None:
            span.set_attribute("app.client_version", data.request.headers.get("x-client-version", "unknown"))


exporter = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(ClientVersion())
tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))

app = FastAPI(telemetry={"tracer_provider": tracer_provider})


@app.get("/ping")
def ping() -> str:
    return "pong"

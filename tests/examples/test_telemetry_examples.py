"""The samples of docs/guide/telemetry.md run and record what the page says."""

from opentelemetry.trace import SpanKind
from samples import load

from vivace.testclient import TestClient


def test_provider_sample_records_server_and_operation_spans() -> None:
    """Passing a tracer provider gives a SERVER span named after the route, plus the three operation spans."""
    sample = load("telemetry_provider")
    try:
        assert TestClient(sample.app).get("/items/7").json() == {"item_id": 7}
        spans = sample.exporter.get_finished_spans()
        assert [span.name for span in spans] == [
            "fastapi.dependencies",
            "fastapi.endpoint",
            "fastapi.serialization",
            "GET /items/{item_id}",
        ]
        server = spans[-1]
        assert server.kind is SpanKind.SERVER
        assert server.attributes is not None
        assert server.attributes["http.route"] == "/items/{item_id}"
        assert server.attributes["http.response.status_code"] == 200
    finally:
        sample.tracer_provider.shutdown()


def test_options_sample_skips_health_checks_and_operation_spans() -> None:
    """The health check records nothing; other requests record a single SERVER span."""
    sample = load("telemetry_options")
    try:
        client = TestClient(sample.app)
        assert client.get("/health").json() == "ok"
        assert sample.exporter.get_finished_spans() == ()
        assert client.get("/orders/5").json() == {"order_id": 5}
        assert [span.name for span in sample.exporter.get_finished_spans()] == ["GET /orders/{order_id}"]
    finally:
        sample.tracer_provider.shutdown()


def test_data_sample_adds_request_details_to_the_endpoint_span() -> None:
    """The processor reads the request through get_telemetry_data and tags the endpoint span with it."""
    sample = load("telemetry_data")
    try:
        client = TestClient(sample.app)
        client.get("/ping", headers={"x-client-version": "2.1"})
        client.get("/ping")
        tagged = [
            (span.attributes or {}).get("app.client_version")
            for span in sample.exporter.get_finished_spans()
            if span.name == "fastapi.endpoint"
        ]
        assert tagged == ["2.1", "unknown"]
    finally:
        sample.tracer_provider.shutdown()

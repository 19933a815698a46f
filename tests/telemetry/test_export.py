"""`auto_configure`: OTLP exporters from the environment, added at startup, flushed at shutdown."""

import contextlib
import logging
import sys
import types
from collections.abc import Sequence
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from starlette.testclient import TestClient
from telemetry_support import Signals

from vivace import Vivace
from vivace.exceptions import FastAPIError
from vivace.telemetry import _export

TRACES_MODULE = "opentelemetry.exporter.otlp.proto.http.trace_exporter"


class FakeOTLPSpanExporter(SpanExporter):
    """Stands in for the OTLP/HTTP exporter (not installed here): keeps what it is asked to export."""

    instances: list["FakeOTLPSpanExporter"] = []

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.exported: list[str] = []
        self.instances.append(self)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.exported.extend(span.name for span in spans)
        return SpanExportResult.SUCCESS


@pytest.fixture(autouse=True)
def fresh_registrations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no exporter registered by vivace."""
    monkeypatch.setattr(_export, "_owned", [])
    monkeypatch.setattr(_export, "_registered", [])
    FakeOTLPSpanExporter.instances = []


def only_traces(monkeypatch: pytest.MonkeyPatch, endpoint: str = "http://127.0.0.1:4318") -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "none")


def app_with(config: dict[str, Any]) -> Vivace:
    app = Vivace(telemetry=config)

    @app.get("/")
    def root() -> str:
        return "ok"

    return app


def test_exporter_added_at_startup_and_flushed_at_shutdown(monkeypatch: pytest.MonkeyPatch, signals: Signals) -> None:
    """With an endpoint in the environment, startup adds an exporter to the provider; shutdown flushes it."""
    module = types.ModuleType(TRACES_MODULE)
    module.OTLPSpanExporter = FakeOTLPSpanExporter  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, TRACES_MODULE, module)
    only_traces(monkeypatch, "http://127.0.0.1:4318/")
    app = app_with({**signals.config, "auto_configure": True})
    with TestClient(app) as client:
        client.get("/")
    [exporter] = FakeOTLPSpanExporter.instances
    assert exporter.endpoint == "http://127.0.0.1:4318/v1/traces"
    assert "GET /" in exporter.exported
    with TestClient(app):
        pass
    assert len(FakeOTLPSpanExporter.instances) == 1, "a second startup must not add a second exporter"


def test_signal_endpoint_wins_over_the_general_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given; the general endpoint gets /v1/<signal> appended."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318")
    assert _export.endpoint_for("METRICS") == "https://collector:4318/v1/metrics"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://traces.example/custom")
    assert _export.endpoint_for("TRACES") == "https://traces.example/custom"
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "none")
    assert _export.endpoint_for("LOGS") is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OTEL_TRACES_EXPORTER", "zipkin", "otlp or none"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318", "absolute http(s) URL"),
    ],
)
def test_unsupported_settings_are_explained(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    """An exporter, protocol or endpoint vivace cannot set up raises a FastAPIError saying what to do."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv(variable, value)
    with pytest.raises(FastAPIError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _export.endpoint_for("TRACES")


def test_configuration_failure_warns_and_the_app_still_starts(
    monkeypatch: pytest.MonkeyPatch, signals: Signals, caplog: pytest.LogCaptureFixture
) -> None:
    """A missing exporter package is logged as a warning; startup and requests go on, spans still recorded."""
    monkeypatch.setitem(sys.modules, TRACES_MODULE, None)
    only_traces(monkeypatch)
    app = app_with({**signals.config, "auto_configure": True})
    with caplog.at_level(logging.WARNING, logger="vivace"), TestClient(app) as client:
        assert client.get("/").json() == "ok"
    assert "automatic telemetry configuration failed" in caplog.text
    assert "opentelemetry-exporter-otlp-proto-http" in caplog.text
    assert "GET /" in [span.name for span in signals.spans.get_finished_spans()]


def test_sdk_disabled_or_auto_configure_off_adds_nothing(monkeypatch: pytest.MonkeyPatch, signals: Signals) -> None:
    """OTEL_SDK_DISABLED=true, or auto_configure left off, configures no exporter at all."""
    monkeypatch.setitem(sys.modules, TRACES_MODULE, None)  # would fail loudly if vivace tried
    only_traces(monkeypatch)
    for config in ({"auto_configure": False}, {"auto_configure": True}):
        monkeypatch.setenv("OTEL_SDK_DISABLED", "true" if config["auto_configure"] else "false")
        _export.configure_from_environment({**signals.config, "tracing": True, "metrics": True, "logs": True,
                                            **config})
    assert _export._owned == []


def test_user_lifespan_still_runs(monkeypatch: pytest.MonkeyPatch, signals: Signals) -> None:
    """The telemetry hook around the lifespan keeps the application's own startup and shutdown."""
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Vivace) -> Any:
        events.append("startup")
        yield {"ready": True}
        events.append("shutdown")

    app = Vivace(telemetry=signals.config, lifespan=lifespan)
    with TestClient(app):
        events.append("running")
    assert events == ["startup", "running", "shutdown"]

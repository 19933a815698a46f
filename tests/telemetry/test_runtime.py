"""When telemetry is active, what it costs when it is not, and what `get_telemetry_data` returns."""

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord
from starlette.testclient import TestClient
from telemetry_support import Signals

from vivace import Depends, Request, Vivace, WebSocket
from vivace.telemetry import TelemetryData, get_telemetry_data
from vivace.telemetry._config import resolve_config

OFF = {"tracing": False, "metrics": False, "logs": False}


def hello_app(**kwargs: Any) -> Vivace:
    app = Vivace(**kwargs)

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every signal and operation spans default to on; auto_configure follows FASTAPI_OTEL_AUTO_CONFIGURE."""
    config = resolve_config(None)
    assert {key: config[key] for key in ("tracing", "metrics", "logs", "operation_spans", "auto_configure")} == {
        "tracing": True, "metrics": True, "logs": True, "operation_spans": True, "auto_configure": False
    }
    assert config["tracer_provider"] is config["meter_provider"] is config["logger_provider"] is config["exclude"]
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "TRUE")
    assert resolve_config(None)["auto_configure"] is True
    assert resolve_config({"auto_configure": False})["auto_configure"] is False


def test_disabled_telemetry_adds_nothing_to_the_request_path() -> None:
    """With every signal off there is no telemetry layer and the router has no observed runners."""
    app = hello_app(telemetry=OFF)
    assert app._telemetry is None
    app.middleware_stack = app.build_middleware_stack()
    assert app._fast is not None and app._fast.app == app._route  # requests skip every layer
    compiled = app.compile()
    assert TestClient(app).get("/hello").json() == {"hello": "world"}
    assert compiled.observed is None


def test_without_opentelemetry_installed_telemetry_is_off() -> None:
    """If `opentelemetry` cannot be imported, vivace.telemetry still imports and apps run without telemetry."""
    code = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "from vivace import Vivace\n"
        "from vivace.telemetry import TelemetryConfig, TelemetryData, get_telemetry_data\n"
        "from starlette.testclient import TestClient\n"
        "app = Vivace(telemetry={'tracing': True})\n"
        "app.get('/')(lambda: get_telemetry_data() is None)\n"
        "assert app._telemetry is None and get_telemetry_data() is None\n"
        "assert TestClient(app).get('/').json() is True\n"
        "assert 'vivace.telemetry._runtime' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_unset_global_provider_records_nothing_until_one_is_set(
    monkeypatch: pytest.MonkeyPatch, signals: Signals
) -> None:
    """With no provider given, spans start only once OpenTelemetry's global tracer provider is configured."""
    app = hello_app()
    client = TestClient(app)
    client.get("/hello")
    assert signals.spans.get_finished_spans() == ()
    provider = signals.config["tracer_provider"]
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    client.get("/hello")
    assert [span.name for span in signals.spans.get_finished_spans()] == [
        "fastapi.dependencies", "fastapi.endpoint", "fastapi.serialization", "GET /hello"
    ]


def test_request_data_while_handling(signals: Signals) -> None:
    """During a request the data holds the request object, the parsed body, the endpoint's arguments."""
    app = Vivace(telemetry=signals.config)
    seen: dict[str, Any] = {}

    def dependency(request: Request) -> str:
        data = get_telemetry_data()
        assert data is not None
        seen["dependency"] = (data.request is request, data.body, data.values)
        return "dep"

    @app.post("/items/{item_id}")
    def create(item_id: int, payload: dict[str, int], request: Request, value: str = Depends(dependency)) -> int:
        data = get_telemetry_data()
        assert data is not None
        seen["endpoint"] = (data.request is request, data.values, data.errors)
        return item_id

    assert get_telemetry_data() is None
    assert TestClient(app).post("/items/3", json={"a": 1}).json() == 3
    assert seen["dependency"] == (True, {"a": 1}, None)
    request_is_same, values, errors = seen["endpoint"]
    assert request_is_same and errors == []
    assert values["item_id"] == 3 and values["payload"] == {"a": 1} and values["value"] == "dep"
    assert get_telemetry_data() is None


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_request_data_in_a_yield_dependency(signals: Signals, kind: str) -> None:
    """A `yield` dependency that takes the request finds it in the telemetry data before it yields."""
    app = Vivace(telemetry=signals.config)
    seen: list[bool] = []

    def record(request: Request) -> None:
        data = get_telemetry_data()
        seen.append(data is not None and data.request is request)

    async def async_resource(request: Request) -> AsyncIterator[str]:
        record(request)
        yield "resource"

    def sync_resource(request: Request) -> Iterator[str]:
        record(request)
        yield "resource"

    resource = async_resource if kind == "async" else sync_resource

    @app.get("/")
    async def endpoint(value: str = Depends(resource)) -> str:
        return value

    assert TestClient(app).get("/").json() == "resource"
    assert seen == [True]


class DataAtEmit(LogRecordProcessor):
    """Reads the request's data from each log record's context, as a log processor would."""

    def __init__(self) -> None:
        self.found: list[TelemetryData | None] = []

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        self.found.append(get_telemetry_data(log_record.log_record.context))

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def test_validation_errors_reach_log_processors(signals: Signals) -> None:
    """A log processor receives the validation errors (with their input) through the record's context."""
    processor = DataAtEmit()
    signals.config["logger_provider"].add_log_record_processor(processor)
    app = Vivace(telemetry=signals.config)

    @app.get("/items/{item_id}")
    def read(item_id: int) -> int:
        return item_id

    assert TestClient(app).get("/items/abc").status_code == 422
    [data] = processor.found
    assert data is not None and data.errors is not None
    assert [(error["loc"], error["input"]) for error in data.errors] == [(("path", "item_id"), "abc")]


def test_websocket_connection_span(signals: Signals) -> None:
    """A WebSocket connection gets a `WS <route>` SERVER span with dependency and endpoint spans."""
    app = Vivace(telemetry=signals.config)

    @app.websocket("/ws/{room}")
    async def chat(websocket: WebSocket, room: str) -> None:
        await websocket.accept()
        await websocket.send_text(room)
        await websocket.close()

    with TestClient(app).websocket_connect("/ws/lobby") as connection:
        assert connection.receive_text() == "lobby"
    spans = {span.name: span for span in signals.spans.get_finished_spans()}
    assert set(spans) == {"fastapi.dependencies", "fastapi.endpoint", "WS /ws/{room}"}
    server = spans["WS /ws/{room}"]
    assert server.kind is trace.SpanKind.SERVER
    assert dict(server.attributes or {}) == {
        "server.address": "testserver", "server.port": 80, "url.scheme": "ws",
        "network.protocol.name": "websocket", "http.route": "/ws/{room}",
    }


def test_mounted_vivace_app_adds_no_second_server_span(signals: Signals) -> None:
    """A vivace app mounted in an observed one records into the outer span, with the mount in the route."""
    outer = Vivace(telemetry=signals.config)
    inner = Vivace(telemetry=signals.config)

    @inner.get("/things/{thing}")
    def thing(thing: str) -> str:
        return thing

    outer.mount("/tenants/{tenant}", inner)
    assert TestClient(outer).get("/tenants/acme/things/t1").json() == "t1"
    servers = [span for span in signals.spans.get_finished_spans() if span.kind is trace.SpanKind.SERVER]
    assert [span.name for span in servers] == ["GET /tenants/{tenant}/things/{thing}"]

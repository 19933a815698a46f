"""An app built before OpenTelemetry is imported: no import at build time, and the spans FastAPI records once a
provider is set later (each case runs in a fresh interpreter, where nothing imported OpenTelemetry yet)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

FRAMEWORKS = ("vivace", "fastapi")

# The app under test, built from the framework named in sys.argv[1]; `otel()` imports OpenTelemetry's SDK and sets
# a global tracer provider recording in memory; `report(**found)` prints what the case found as JSON.
PRELUDE = """
import importlib, json, sys
from contextlib import asynccontextmanager
from starlette.testclient import TestClient

fw = importlib.import_module(sys.argv[1])
finished = []

def otel():
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    finished.append(exporter)

def spans():
    return [span.name for span in finished[0].get_finished_spans()] if finished else []

def add_routes(app):
    @app.get("/hello")
    def hello():
        return {"hello": "world"}

    @app.websocket("/ws")
    async def ws(websocket: fw.WebSocket):
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()
    return app

def report(**found):
    print(json.dumps(found))
"""


def run(case: str, framework: str = "vivace", *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `case` after PRELUDE in a fresh interpreter (argv: framework, *args); what it reported."""
    code = PRELUDE + textwrap.dedent(case)
    command = [sys.executable, "-c", code, framework, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_building_an_app_does_not_import_opentelemetry() -> None:
    """Nothing imports OpenTelemetry: building and serving a vivace app does not either."""
    found = run("""
        app = add_routes(fw.FastAPI())
        built = "opentelemetry" in sys.modules
        assert TestClient(app).get("/hello").json() == {"hello": "world"}
        report(built=built, served="opentelemetry" in sys.modules)
    """)
    assert found == {"built": False, "served": False}


@pytest.mark.parametrize("settings", ["{}", "{'tracing': False}"])
def test_telemetry_settings_import_opentelemetry_when_the_app_is_built(settings: str) -> None:
    """An app given telemetry settings sets its telemetry up at once, as FastAPI's does."""
    found = run(f"""
        fw.FastAPI(telemetry={settings})
        report(built="opentelemetry" in sys.modules)
    """)
    assert found == {"built": True}


@pytest.mark.parametrize(
    ("variable", "value"),
    [("FASTAPI_OTEL_AUTO_CONFIGURE", "true"), ("OTEL_PYTHON_TRACER_PROVIDER", "sdk_tracer_provider")],
)
def test_environment_configuring_telemetry_imports_opentelemetry(variable: str, value: str) -> None:
    """Exporters added at startup, or a provider OpenTelemetry builds from the environment: set up at build time."""
    found = run(
        """
        fw.FastAPI()
        report(built="opentelemetry" in sys.modules)
    """,
        env={**os.environ, variable: value},
    )
    assert found == {"built": True}


LATE_PROVIDER = """
    built = []

    class Passing:
        def __init__(self, app):
            built.append(self)
            self.app = app

        async def __call__(self, scope, receive, send):
            await self.app(scope, receive, send)

    app = add_routes(fw.FastAPI())
    if sys.argv[2] == "middleware":
        app.add_middleware(Passing)
    client = TestClient(app)
    client.get("/hello")
    otel()
    client.get("/hello")
    after_request = spans()
    with client.websocket_connect("/ws") as connection:
        connection.receive_text()
    report(after_request=after_request, after_websocket=spans(), middleware_built=len(built))
"""


@pytest.mark.parametrize("middleware", ["none", "middleware"])
def test_provider_set_after_requests_were_served_records_like_fastapi(middleware: str) -> None:
    """OpenTelemetry imported and a provider set after the app served requests: the next ones are recorded (and a
    middleware the app built stays the one instance)."""
    vivace, fastapi = (run(LATE_PROVIDER, framework, middleware) for framework in FRAMEWORKS)
    assert vivace == fastapi
    assert vivace["after_request"] == [
        "fastapi.dependencies",
        "fastapi.endpoint",
        "fastapi.serialization",
        "GET /hello",
    ]


LIFESPAN_PROVIDER = """
    @asynccontextmanager
    async def lifespan(app):
        otel()
        yield

    app = add_routes(fw.FastAPI(lifespan=lifespan))

    @app.middleware("http")
    async def passing(request, call_next):
        return await call_next(request)

    with TestClient(app) as client:
        client.get("/hello")
        report(spans=spans())
"""


def test_provider_set_in_the_lifespan_records_the_first_request_like_fastapi() -> None:
    """A lifespan that imports OpenTelemetry and sets a provider: the first request is recorded, middleware inside."""
    vivace, fastapi = (run(LIFESPAN_PROVIDER, framework) for framework in FRAMEWORKS)
    assert vivace == fastapi
    assert "GET /hello" in vivace["spans"]


def test_looking_opentelemetry_up_without_importing_it_keeps_the_app_dormant() -> None:
    """A mere look-up (a library probing for OpenTelemetry) imports nothing; a real import later still counts."""
    found = run("""
        import importlib.util
        app = add_routes(fw.FastAPI())
        client = TestClient(app)
        client.get("/hello")
        assert importlib.util.find_spec("opentelemetry") is not None
        client.get("/hello")
        probed = "opentelemetry" in sys.modules
        otel()
        client.get("/hello")
        report(probed=probed, spans=spans())
    """)
    assert found == {
        "probed": False,
        "spans": ["fastapi.dependencies", "fastapi.endpoint", "fastapi.serialization", "GET /hello"],
    }

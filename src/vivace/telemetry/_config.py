"""The public side of telemetry: the settings dict, the per-request data, and the reader for that data.

NOTE: this module must import without OpenTelemetry installed, so `vivace.telemetry` is always importable;
the runtime that needs OpenTelemetry lives in the other private modules and is loaded only when used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from typing_extensions import TypedDict

if TYPE_CHECKING:
    from opentelemetry._logs import LoggerProvider
    from opentelemetry.context import Context
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider
    from starlette.requests import Request
    from starlette.websockets import WebSocket

__all__ = ["TelemetryConfig", "TelemetryData", "get_telemetry_data", "resolve_config"]

AUTO_CONFIGURE_VARIABLE = "FASTAPI_OTEL_AUTO_CONFIGURE"


class TelemetryConfig(TypedDict, total=False):
    """Settings for `Vivace(telemetry={...})`; every key is optional (defaults in docs/guide/telemetry.md).

    - `tracer_provider`, `meter_provider`, `logger_provider`: used instead of OpenTelemetry's global providers.
    - `tracing` (True): a SERVER span per HTTP request and WebSocket connection.
    - `metrics` (True): `http.server.request.duration` and `http.server.active_requests` for HTTP requests.
    - `logs` (True): log records for failed validation and unhandled exceptions (with messages and tracebacks).
    - `operation_spans` (True): child spans for dependencies, the endpoint, serialization, background tasks.
    - `auto_configure`: add OTLP exporters from the `OTEL_*` environment at startup; defaults to
      `FASTAPI_OTEL_AUTO_CONFIGURE=true` in the environment, else False.
    - `exclude`: called with the ASGI scope; returning True records nothing for that request or connection.
    """

    tracer_provider: TracerProvider | None
    meter_provider: MeterProvider | None
    logger_provider: LoggerProvider | None
    tracing: bool
    metrics: bool
    logs: bool
    operation_spans: bool
    auto_configure: bool
    exclude: Callable[[MutableMapping[str, Any]], bool] | None


@dataclass(kw_only=True)
class TelemetryData:
    """What vivace knows about the request (or connection) being handled, for synchronous span/log processors.

    Fields fill in as handling goes on; treat them as read-only, and redact before exporting anything.
    """

    request: Request | None = None  # set when the route's handling starts
    websocket: WebSocket | None = None  # the same, for WebSocket routes
    body: Any = None  # the body as read, before validation: parsed JSON, or the raw bytes
    values: dict[str, Any] | None = None  # the endpoint's arguments, once dependencies are resolved
    errors: Sequence[Any] | None = None  # validation errors, with their input values


def resolve_config(telemetry: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings with every default filled in (the environment decides `auto_configure` unless given)."""
    return {
        "tracer_provider": None,
        "meter_provider": None,
        "logger_provider": None,
        "tracing": True,
        "metrics": True,
        "logs": True,
        "operation_spans": True,
        "auto_configure": os.getenv(AUTO_CONFIGURE_VARIABLE, "").lower() == "true",
        "exclude": None,
        **(telemetry or {}),
    }


def get_telemetry_data(context: Context | None = None) -> TelemetryData | None:
    """The data of the request being handled in `context` (default: the current one), else None.

    Log processors can pass `record.context`. Once vivace has finished with the request this returns None,
    even for a context kept from that request.
    """
    # NOTE: the runtime is imported only by applications with telemetry; if it never was, no request has data.
    state = sys.modules.get("vivace.telemetry._state")
    if state is None:
        return None
    request = state.current(context)
    return None if request is None else request.data  # type: ignore[no-any-return]

"""Per-request telemetry state, and the operation spans every instrumented stage opens through it.

The state lives in two places, like FastAPI's: `scope["fastapi.telemetry"]` (so a mounted app sees that the
request is already observed) and the OpenTelemetry context (so code without the scope, such as a log processor
or a function in the thread pool, finds it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import Token
from time import time_ns
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry._logs import Logger, SeverityNumber
from opentelemetry.context import Context
from opentelemetry.trace import Span, StatusCode, Tracer
from starlette.exceptions import HTTPException, WebSocketException
from starlette.websockets import WebSocketDisconnect

from vivace._core.exports import TELEMETRY_KEY
from vivace.exceptions import RequestValidationError, WebSocketRequestValidationError
from vivace.telemetry._config import TelemetryData

__all__ = ["SCOPE_KEY", "RequestTelemetry", "current", "entered_mount", "exception_type", "function_name", "route_of"]

# NOTE: FastAPI's key, so mounted FastAPI and vivace apps both skip their own span; the router reads it too
SCOPE_KEY = TELEMETRY_KEY
_CONTEXT_KEY = otel_context.create_key("vivace.request")
# Exceptions that answer the client normally: they do not make an operation span an error.
_EXPECTED = (HTTPException, RequestValidationError, WebSocketException, WebSocketRequestValidationError)


class RequestTelemetry:
    """What the server span wrapper and the instrumented plans share about one request or connection."""

    __slots__ = (
        "data", "dependencies", "dependencies_token", "entry_root_path", "exceptions", "logger", "mount", "parent",
        "route_prefix", "span",
        "span_method", "status_code", "tracer",
    )

    def __init__(
        self, *, span: Span | None, span_method: str, tracer: Tracer | None, logger: Logger | None,
        route_prefix: str, entry_root_path: str,
    ) -> None:
        self.span = span
        self.span_method = span_method
        self.tracer = tracer  # None when operation spans are off
        self.logger = logger  # None when logs are off
        self.parent: Context | None = None if span is None else trace.set_span_in_context(span)
        self.route_prefix = route_prefix
        self.entry_root_path = entry_root_path
        self.mount: Any = None  # the Mount of the innermost mounted vivace app that saw this request
        self.status_code: int | None = None
        self.data: TelemetryData | None = TelemetryData()
        self.exceptions: list[BaseException] = []
        self.dependencies: Span | None = None  # the open `fastapi.dependencies` span, ended by the endpoint
        self.dependencies_token: Token[Context] | None = None  # its context token, detached where it was attached

    def attach(self) -> Token[Context]:
        return otel_context.attach(otel_context.set_value(_CONTEXT_KEY, self))

    # -- operation spans ----------------------------------------------------------------------------------

    def start_operation(self, name: str, function: Callable[..., Any]) -> Span | None:
        if self.tracer is None:
            return None
        return self.tracer.start_span(
            f"fastapi.{name}", context=self.parent, attributes={"code.function.name": function_name(function)},
            record_exception=False, set_status_on_exception=False,
        )

    @contextmanager
    def operation(self, name: str, function: Callable[..., Any]) -> Iterator[None]:
        """A child span of the server span around one stage; current while the stage runs."""
        span = self.start_operation(name, function)
        if span is None:
            yield
            return
        with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
            try:
                yield
            except Exception as exc:
                fail_operation(span, exc, always=name == "background_task")
                raise

    def end_dependencies(self, error: BaseException | None = None) -> None:
        span, self.dependencies = self.dependencies, None
        if span is not None:
            if error is not None:
                fail_operation(span, error)
            span.end()

    # -- logs ---------------------------------------------------------------------------------------------

    def validation_failed(
        self, exc: RequestValidationError | WebSocketRequestValidationError, route: str | None
    ) -> None:
        errors = exc.errors()
        if self.data is not None:
            if isinstance(exc, RequestValidationError):
                self.data.body = exc.body
            self.data.errors = errors
        if self.logger is None:
            return
        attributes: dict[str, Any] = {"fastapi.validation.error_count": len(errors)}
        if route is not None:
            attributes["http.route"] = route
        self.logger.emit(
            event_name="fastapi.validation.failed", timestamp=time_ns(), severity_number=SeverityNumber.WARN,
            severity_text="WARN", body="Request validation failed", attributes=attributes,
        )

    def unhandled(self, exc: BaseException, *, websocket: bool, route: str | None) -> None:
        """Remember an exception once (the server span's `error.type`), and log it if logs are on."""
        if any(seen is exc for seen in self.exceptions):
            return
        self.exceptions.append(exc)
        if self.logger is None or not isinstance(exc, Exception):
            return
        self.logger.emit(
            exception=exc,
            event_name="fastapi.websocket.exception" if websocket else "http.server.request.exception",
            timestamp=time_ns(), severity_number=SeverityNumber.ERROR, severity_text="ERROR",
            body=f"Unhandled exception in {'WebSocket connection' if websocket else 'request'}",
            attributes=None if route is None else {"http.route": route},
        )


def current(context: Context | None = None) -> RequestTelemetry | None:
    value = otel_context.get_value(_CONTEXT_KEY, context)
    return value if isinstance(value, RequestTelemetry) else None


def detached_context() -> Context:
    """A context in which no request is observed (excluded requests, so nested apps record nothing)."""
    return otel_context.set_value(_CONTEXT_KEY, None)


def fail_operation(span: Span, exc: BaseException, *, always: bool = False) -> None:
    if always or not (isinstance(exc, _EXPECTED) or normal_disconnect(exc)):
        span.set_attribute("error.type", exception_type(exc))
        span.set_status(StatusCode.ERROR)


def normal_disconnect(exc: BaseException) -> bool:
    """A WebSocket closed with 1000 (normal) or 1001 (going away) is not a failure."""
    return isinstance(exc, WebSocketDisconnect) and exc.code in (1000, 1001)


def exception_type(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def function_name(function: Callable[..., Any]) -> str:
    module = getattr(function, "__module__", None) or type(function).__module__
    qualname = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{module}.{qualname}"


def _is_mount(route: Any) -> bool:
    return hasattr(route, "routes") or not hasattr(route, "endpoint")


def route_of(scope: MutableMapping[str, Any], request: RequestTelemetry) -> str | None:
    """The matched route template, with the templates of the mounts the request went through.

    NOTE: vivace sets `scope["route"]` when it matches (also on a 405). A mounted vivace app reports its mount
    on entry (`entered_mount`); any other mount only shows as the part of `root_path` added since then.
    """
    route = scope.get("route")
    template = None if route is None else getattr(route, "path_format", None) or getattr(route, "path", None)
    if template is None:
        return None
    if route is request.mount:
        return f"{request.route_prefix}/{{path}}"  # the mounted app matched none of its routes
    if _is_mount(route):
        # a Mount whose app matched no route of its own (a 404 inside it, static files, a plain ASGI app)
        return f"{request.route_prefix}{template.removesuffix('/{path}')}/{{path}}"
    mounted = scope.get("root_path", "")[len(request.entry_root_path):]
    return f"{request.route_prefix}{mounted}{template}"


def entered_mount(scope: MutableMapping[str, Any], request: RequestTelemetry) -> None:
    """A mounted application received an observed request: its mount's template joins the route prefix."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if route is None or template is None or not _is_mount(route):
        return
    request.route_prefix += template.removesuffix("/{path}")
    request.entry_root_path = scope.get("root_path", "")
    request.mount = route

"""The ASGI layer around the whole middleware stack: one SERVER span (and the HTTP metrics) per request.

It starts the span from the incoming trace headers, shares a `RequestTelemetry` with the instrumented plans,
and ends the span when the last body message has been sent (or the app failed), with the route, status and,
on failure, `error.type`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from contextvars import Token
from time import perf_counter
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vivace.telemetry._signals import Signals
from vivace.telemetry._state import (
    SCOPE_KEY,
    RequestTelemetry,
    detached_context,
    entered_mount,
    exception_type,
    normal_disconnect,
    route_of,
)

__all__ = ["ServerTelemetry"]

# Query parameters that carry credentials (OpenTelemetry's HTTP semantic conventions): their values are redacted.
_SECRET_QUERY_KEYS = frozenset(
    {"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "sig", "X-Goog-Signature"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class _HeaderGetter(Getter[Headers]):
    def get(self, carrier: Headers, key: str) -> list[str] | None:
        values = carrier.getlist(key)
        if not values:
            return None
        # NOTE: the baggage propagator reads one value only, so repeated baggage headers are joined
        return [",".join(values)] if key.lower() == "baggage" else values

    def keys(self, carrier: Headers) -> list[str]:
        return carrier.keys()


_GETTER = _HeaderGetter()


class ServerTelemetry:
    """Wraps the application's middleware stack; built only when some signal may be on."""

    def __init__(self, app: ASGIApp, signals: Signals, exclude: Callable[[Any], bool] | None) -> None:
        self.app = app
        self.signals = signals
        self.exclude = exclude

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # PERF: a plain function, so while nothing can be recorded a request goes straight to the inner app's
        # coroutine and this layer adds no frame of its own (the application calls the bound method: cheaper
        # than calling the instance)
        if SCOPE_KEY not in scope and self.signals.quiet():
            return self.app(scope, receive, send)
        return self._observe(scope, receive, send)

    async def _observe(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or SCOPE_KEY in scope:
            observed = scope.get(SCOPE_KEY)
            if isinstance(observed, RequestTelemetry):
                entered_mount(scope, observed)
            await self.app(scope, receive, send)
            return
        active = self.signals.active(websocket=scope["type"] == "websocket")
        if active is None:
            await self.app(scope, receive, send)
            return
        if self.exclude is not None and self.exclude(scope):
            await self._excluded(scope, receive, send)
            return
        await _Exchange(self.signals, active, scope).run(self.app, receive, send)

    async def _excluded(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[SCOPE_KEY] = None  # NOTE: a mounted app must not observe what the user excluded
        token = otel_context.attach(detached_context())
        try:
            await self.app(scope, receive, send)
        finally:
            otel_context.detach(token)
            scope.pop(SCOPE_KEY, None)


class _Exchange:
    """One observed request or connection: its span, metric attributes, and how it ends."""

    def __init__(self, signals: Signals, active: Any, scope: Scope) -> None:
        self.scope = scope
        self.websocket = scope["type"] == "websocket"
        self.signals = signals
        self.active = active
        raw_method = scope.get("method", "")
        method = raw_method if raw_method in signals.known_methods else "_OTHER"
        self.attributes: dict[str, Any] = {"url.scheme": scope.get("scheme", "ws" if self.websocket else "http")}
        if self.websocket:
            self.attributes["network.protocol.name"] = "websocket"
        else:
            self.attributes["http.request.method"] = method
            if scope.get("http_version"):
                self.attributes["network.protocol.version"] = scope["http_version"]
        self.counted = {k: v for k, v in self.attributes.items() if k != "network.protocol.version"}
        span_method = "WS" if self.websocket else ("HTTP" if method == "_OTHER" else method)
        self.parent_token: Token[Context] | None = None
        span = self._start_span(span_method, raw_method, method) if active.tracer else None
        entry_root = scope.get("root_path", "")
        self.request = RequestTelemetry(
            span=span, span_method=span_method, tracer=active.tracer if signals.operation_spans else None,
            logger=active.logger, route_prefix=scope.get("app_root_path", entry_root).rstrip("/"),
            entry_root_path=entry_root,
        )
        self.started = perf_counter()
        self.finished = False
        self.trailers = False
        self.disconnected = False
        self.deferred = False
        self.redirect: Any = None  # the route a trailing-slash redirect points to

    def _start_span(self, span_method: str, raw_method: str, method: str) -> trace.Span:
        scope = self.scope
        parent = propagate.extract(Headers(scope=scope), getter=_GETTER)
        self.parent_token = otel_context.attach(parent)
        attributes = {**self.attributes, **_server_address(scope)}
        if not self.websocket:
            attributes["url.path"] = scope["path"]
            if scope.get("query_string"):
                attributes["url.query"] = _redacted_query(scope["query_string"])
            if raw_method != method:
                attributes["http.request.method_original"] = raw_method
        tracer: trace.Tracer = self.active.tracer
        return tracer.start_span(span_method, context=parent, kind=SpanKind.SERVER, attributes=attributes)

    async def run(self, app: ASGIApp, receive: Receive, send: Send) -> None:
        request, scope = self.request, self.scope
        if self.active.active_requests is not None:
            self.active.active_requests.add(1, self.counted)
        scope[SCOPE_KEY] = request
        token = request.attach()
        span = request.span
        current: AbstractContextManager[Any] = nullcontext() if span is None else trace.use_span(
            span, end_on_exit=False, record_exception=False, set_status_on_exception=False
        )
        try:
            with current:
                await self._call(app, receive, send)
        finally:
            request.data = None
            request.exceptions.clear()
            otel_context.detach(token)
            scope.pop(SCOPE_KEY, None)
            if self.parent_token is not None:
                otel_context.detach(self.parent_token)

    async def _call(self, app: ASGIApp, receive: Receive, send: Send) -> None:
        try:
            if self.websocket:
                await app(self.scope, receive, send)
            else:
                await app(self.scope, self._receiving(receive), self._sending(send))
        except BaseException as exc:
            failure = None if self.websocket and normal_disconnect(exc) else exc
            if failure is not None:
                self.request.unhandled(exc, websocket=self.websocket, route=route_of(self.scope, self.request))
            self.finish(failure)
            raise
        if not self.finished:
            self.finish(None if self.websocket or self.deferred else self._incomplete())

    def _incomplete(self) -> BaseException:
        return ConnectionError("Client disconnected") if self.disconnected else RuntimeError("Incomplete ASGI response")

    def _receiving(self, receive: Receive) -> Receive:
        async def observed_receive() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
            return message

        return observed_receive

    def _sending(self, send: Send) -> Send:
        async def observed_send(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                self.request.status_code = message["status"]
                self.trailers = message.get("trailers", False)
                if message["status"] == 307 and self.scope.get("route") in (None, self.request.mount):
                    self.redirect = _slash_redirect_route(self.scope, message)
            await send(message)
            if _last_message(kind, message, self.trailers):
                if (self.request.status_code or 500) >= 500 and not self.request.exceptions:
                    # NOTE: vivace sends a 500 before re-raising the exception that caused it; wait for that
                    # exception so `error.type` names it (FastAPI records it on its way to the 500 handler)
                    self.deferred = True
                else:
                    self.finish()

        return observed_send

    def finish(self, error: BaseException | None = None) -> None:
        if self.finished:
            return
        self.finished = True
        request, attributes = self.request, self.attributes
        route = route_of(self.scope if self.redirect is None else {**self.scope, "route": self.redirect}, request)
        if route is not None:
            attributes["http.route"] = route
        if request.status_code is not None:
            attributes["http.response.status_code"] = request.status_code
        failed = error is not None or (
            not self.websocket and (request.status_code is None or request.status_code >= 500)
        )
        if failed:
            cause = error or (request.exceptions[-1] if request.exceptions else None)
            attributes["error.type"] = (
                exception_type(cause) if cause else str(request.status_code or "incomplete_response")
            )
        self._record(route, failed)

    def _record(self, route: str | None, failed: bool) -> None:
        span, active = self.request.span, self.active
        if span is not None:
            if route is not None:
                span.update_name(f"{self.request.span_method} {route}")
            span.set_attributes(self.attributes)
            if failed:
                span.set_status(StatusCode.ERROR)
        if active.duration is not None:
            active.duration.record(max(0.0, perf_counter() - self.started), self.attributes)
        if active.active_requests is not None:
            active.active_requests.add(-1, self.counted)
        if span is not None:
            span.end()


def _slash_redirect_route(scope: Scope, start: Message) -> Any:
    """The route behind the router's trailing-slash redirect, which FastAPI reports as the request's route.

    NOTE: only a 307 sent before any route matched, to the same path with the slash toggled, is that redirect.
    """
    location = Headers(raw=start.get("headers", [])).get("location")
    path = scope["path"]
    toggled = path.rstrip("/") if path.endswith("/") else path + "/"
    if location is None or urlsplit(location).path != toggled:
        return None
    app = scope.get("app")
    probe = {**scope, "path": toggled}
    for route in getattr(getattr(app, "router", None), "routes", ()):
        if route.matches(probe)[0] is not Match.NONE:
            return route
    return None


def _last_message(kind: str, message: Message, trailers: bool) -> bool:
    if kind == "http.response.body":
        return not message.get("more_body", False) and not trailers
    if kind == "http.response.trailers":
        return not message.get("more_trailers", False)
    return kind == "http.response.pathsend"


def _redacted_query(raw: bytes) -> str:
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return urlencode([(key, "REDACTED" if key in _SECRET_QUERY_KEYS else value) for key, value in pairs])


def _server_address(scope: Scope) -> dict[str, Any]:
    """`server.address`/`server.port` from the Host header (HTTP/2 and 3 authority too), else the socket."""
    host = Headers(scope=scope).get("host")
    if host is None:
        address, port = scope.get("server") or (None, None)
    else:
        try:
            url = urlsplit("//" + host)
            address, port = url.hostname, url.port
        except ValueError:  # a malformed Host header must not break the request
            return {}
        if url.username is not None or url.path or url.query or url.fragment:
            return {}
        if port is None:
            port = _DEFAULT_PORTS.get(scope.get("scheme", "http"))
    if address is None:
        return {}
    return {"server.address": address} if port is None else {"server.address": address, "server.port": port}

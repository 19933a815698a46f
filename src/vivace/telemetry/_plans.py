"""Operation spans: route plans instrumented at compile time, for applications with telemetry only.

`observe(route, plan)` returns a matcher target whose `handle` runs the plain plan when the request is not
observed, and otherwise an instrumented copy of it (the same frozen plan with a few callables wrapped):

    fastapi.dependencies   from the start of handling (after a JSON body was read) until the endpoint starts
    fastapi.endpoint       the endpoint call (not for generator endpoints, whose work is the stream)
    fastapi.serialization  the response's serialization (not when the endpoint returned a Response)
    fastapi.background_task  each background task (see `_background.py`)

NOTE: the stages in `_core` are untouched; the plain plan keeps its zero-overhead path.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from vivace._core.handle import handle
from vivace._core.plan import ArgSource, BodyKind, DepStep, Extractor, RoutePlan
from vivace._core.websocket import handle_websocket
from vivace.exceptions import RequestValidationError, WebSocketRequestValidationError
from vivace.telemetry._background import traced_tasks
from vivace.telemetry._state import SCOPE_KEY, RequestTelemetry, current, route_of

__all__ = ["ObservedRoute", "observe"]


class ObservedRoute:
    """A matcher target (`handle(scope, receive, send)`) standing for one compiled route."""

    __slots__ = ("endpoint", "lazy_dependencies", "observed", "plain")

    def __init__(self, plan: RoutePlan, endpoint: Callable[..., Any]) -> None:
        self.plain = plan
        self.endpoint = endpoint
        # NOTE: FastAPI reads a JSON body before its dependencies span, and records none for an invalid document
        self.lazy_dependencies = plan.body_kind in (BodyKind.json, BodyKind.json_embedded)
        self.observed = _instrument(plan, endpoint)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = scope.get(SCOPE_KEY)
        websocket = scope["type"] == "websocket"
        run = handle_websocket if websocket else handle
        if not isinstance(request, RequestTelemetry):
            await run(self.plain, scope, receive, send)
            return
        if request.data is not None:
            if websocket:
                request.data.websocket = WebSocket(scope, receive, send)
            else:
                request.data.request = Request(scope, receive, send)
        if not self.lazy_dependencies:
            start_dependencies(request, self.endpoint)
        try:
            await run(self.observed, scope, receive, send)
        except (RequestValidationError, WebSocketRequestValidationError) as exc:
            end_dependencies(request)
            request.validation_failed(exc, route_of(scope, request))
            raise
        except BaseException as exc:
            end_dependencies(request, exc)
            raise
        end_dependencies(request)


def observe(route: Any, plan: RoutePlan) -> ObservedRoute:
    return ObservedRoute(plan, route.endpoint)


# -- the dependencies span ----------------------------------------------------------------------------------

def start_dependencies(request: RequestTelemetry, endpoint: Callable[..., Any]) -> None:
    span = request.start_operation("dependencies", endpoint)
    if span is None:
        return
    request.dependencies = span
    # current while dependencies run, so spans they create are its children
    request.dependencies_token = otel_context.attach(trace.set_span_in_context(span))


def end_dependencies(request: RequestTelemetry, error: BaseException | None = None) -> None:
    token, request.dependencies_token = request.dependencies_token, None
    if token is not None:
        otel_context.detach(token)
    request.end_dependencies(error)


# -- instrumenting a plan -----------------------------------------------------------------------------------


def _instrument(plan: RoutePlan, endpoint: Callable[..., Any]) -> RoutePlan:
    steps = tuple(_observed_step(step) for step in plan.steps[:-1])
    steps += (_endpoint_step(plan.steps[-1], endpoint, streams=plan.stream is not None),)
    changes: dict[str, Any] = {"steps": steps}
    if plan.serialize is not None:
        changes["serialize"] = _serialization(plan.serialize, endpoint)
    changes["encode"] = _serialization(plan.encode, endpoint)
    if plan.body_extractor is not None and plan.body_kind is not BodyKind.form:
        changes["body_extractor"] = _body_reader(plan.body_extractor, endpoint)
    return dataclasses.replace(plan, **changes)


def _body_reader(extractor: Extractor, endpoint: Callable[..., Any]) -> Extractor:
    original = extractor.validate

    def validate(raw: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        found, errors = original(raw)
        request = current()
        if request is not None and not any(error.get("type") == "json_invalid" for error in errors):
            # NOTE: an unparsable body reaches the data through the validation error, as in FastAPI
            if request.data is not None:
                request.data.body = _body_value(*raw)
            start_dependencies(request, endpoint)
        return found, errors

    return dataclasses.replace(extractor, validate=validate)


def _body_value(body: bytes | None, is_json: bool) -> Any:
    """The body as FastAPI shows it before validation: None when empty, parsed when JSON, else the bytes."""
    if not body:
        return None
    return json.loads(body) if is_json else body


def _serialization(function: Callable[[Any], Any], endpoint: Callable[..., Any]) -> Callable[[Any], Any]:
    def serialize(value: Any) -> Any:
        request = current()
        if request is None:
            return function(value)
        with request.operation("serialization", endpoint):
            return function(value)

    return serialize


def _endpoint_step(step: DepStep, endpoint: Callable[..., Any], *, streams: bool) -> DepStep:
    """The endpoint call ends the dependencies span, records the arguments, and runs in its own span."""
    original = step.call
    name = None if streams else "endpoint"

    def started(kwargs: dict[str, Any]) -> RequestTelemetry | None:
        request = current()
        if request is not None:
            request.end_dependencies()
            _record_arguments(request, step, kwargs)
            if request.data is not None:
                request.data.values = dict(kwargs)
                request.data.errors = []
        return request

    def returned(request: RequestTelemetry, result: Any) -> Any:
        # NOTE: a Response built by the endpoint may carry its own BackgroundTasks; FastAPI traces those too
        traced_tasks(request, [getattr(result, "background", None)])
        return result

    if step.is_async:

        async def call_async(**kwargs: Any) -> Any:
            request = started(kwargs)
            if request is None or name is None:
                return await original(**kwargs)
            with request.operation(name, endpoint):
                return returned(request, await original(**kwargs))

        return dataclasses.replace(step, call=call_async)

    def call_sync(**kwargs: Any) -> Any:
        request = started(kwargs)
        if request is None or name is None:
            return original(**kwargs)
        with request.operation(name, endpoint):
            return returned(request, original(**kwargs))

    return dataclasses.replace(step, call=call_sync)


_CONNECTION_SOURCES = (ArgSource.request, ArgSource.websocket, ArgSource.http_connection)
_OBSERVED_SOURCES = (*_CONNECTION_SOURCES, ArgSource.background_tasks)


def _record_arguments(request: RequestTelemetry, step: DepStep, kwargs: dict[str, Any]) -> None:
    """The connection object the route's code receives becomes `TelemetryData.request`/`.websocket` (one object
    for both), and its BackgroundTasks run their tasks in spans."""
    for name, source, _ in step.args:
        if source is ArgSource.background_tasks:
            traced_tasks(request, [kwargs[name]])
        elif source in _CONNECTION_SOURCES and request.data is not None:
            connection = kwargs[name]
            if isinstance(connection, WebSocket):
                request.data.websocket = connection
            else:
                request.data.request = connection


def _observed_step(step: DepStep) -> DepStep:
    """A dependency that receives the connection or BackgroundTasks: recorded as the endpoint's are."""
    if step.app_scoped or not any(source in _OBSERVED_SOURCES for _, source, _ in step.args):
        return step
    original = step.call

    def call(**kwargs: Any) -> Any:
        request = current()
        if request is not None:
            _record_arguments(request, step, kwargs)
        return original(**kwargs)  # NOTE: returns the coroutine or generator itself, so the step's flags still hold

    return dataclasses.replace(step, call=call)

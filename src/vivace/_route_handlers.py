"""FastAPI's route handler factories, as `vivace.routing` exports them: `get_request_handler`,
`get_websocket_app`, `serialize_response` and `run_endpoint_function`.

vivace serves routes from compiled plans and never calls these for a plain route. They exist for extension code:

* sentry-sdk (and other instrumentation) replaces `fastapi.routing.get_request_handler` with a wrapper that
  changes `dependant.call` and wraps the handler it gets back. When the module attribute is not the function
  defined here, every API route is served through `route.get_route_handler()`, which calls the replacement with
  FastAPI's keyword arguments (`APIRoute.has_custom_handler` compares the two when the application compiles: an
  app nobody patched pays nothing);
* libraries that build a handler or a WebSocket app for a `Dependant` of their own, or serialize a response
  with a `ModelField`, get vivace's compiled equivalents.

When a route's own `get_route_handler()` asks (the usual case), the handler runs that route's plan, compiled
from its `dependant` as it is then (a wrapped `dependant.call` included). Called for any other `Dependant`, the
keyword arguments describe the route, as in FastAPI.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket

from vivace._core.compile import compile_route
from vivace._core.route_handler import RouteHandler, plan_handler
from vivace._core.runner import websocket_runner
from vivace._core.serialize import ResponseOptions, build_model_serializer
from vivace._core.signature import Dependant
from vivace.datastructures import Default, DefaultPlaceholder
from vivace.encoders import jsonable_encoder
from vivace.responses import JSONResponse

__all__ = ["asking", "get_request_handler", "get_websocket_app", "run_endpoint_function", "serialize_response"]

_ASKING_ROUTE: ContextVar[Any] = ContextVar("vivace_asking_route", default=None)


@contextmanager
def asking(route: Any) -> Iterator[None]:
    """While a route's `get_route_handler()` calls `get_request_handler` (possibly through a replacement)."""
    token = _ASKING_ROUTE.set(route)
    try:
        yield
    finally:
        _ASKING_ROUTE.reset(token)


def _asked_by(dependant: Any) -> Any:
    """The route whose handler is being built for `dependant`, if it is that route's own dependant."""
    route = _ASKING_ROUTE.get()
    return route if route is not None and route.dependant is dependant else None


def _annotation(field: Any) -> Any:
    """The type a FastAPI `ModelField` validates (its FieldInfo's annotation), or None without a field."""
    return None if field is None else field.field_info.annotation


class _DeclaredRoute:
    """A route as `compile_route` reads it, described by `get_request_handler`'s keyword arguments."""

    def __init__(self, dependant: Dependant, options: dict[str, Any], methods: set[str] | None) -> None:
        call = dependant.call
        self.path = self.path_format = dependant.path or "/"
        self.name = getattr(call, "__name__", type(call).__name__)
        self.endpoint = call
        self.dependencies: list[Any] = []
        self.methods = methods
        self.responses: dict[Any, Any] = {}
        self.max_body_size = None
        for name, value in options.items():
            setattr(self, name, value)


def get_request_handler(
    dependant: Dependant,
    body_field: Any = None,
    status_code: int | None = None,
    response_class: Any = Default(JSONResponse),
    response_field: Any = None,
    response_model_include: Any = None,
    response_model_exclude: Any = None,
    response_model_by_alias: bool = True,
    response_model_exclude_unset: bool = False,
    response_model_exclude_defaults: bool = False,
    response_model_exclude_none: bool = False,
    dependency_overrides_provider: Any = None,
    embed_body_fields: bool = False,
    strict_content_type: bool | DefaultPlaceholder = Default(True),
    stream_item_field: Any = None,
    is_json_stream: bool = False,
    form_limits: Any = None,
) -> RouteHandler:
    """A `Request -> Response` handler running `dependant` (see the module docstring)."""
    route = _asked_by(dependant)
    if route is not None:
        return plan_handler(route.served_plan)
    declared = _DeclaredRoute(dependant, {
        "status_code": status_code, "response_class": response_class, "response_model": _annotation(response_field),
        "response_model_include": response_model_include, "response_model_exclude": response_model_exclude,
        "response_model_by_alias": response_model_by_alias,
        "response_model_exclude_unset": response_model_exclude_unset,
        "response_model_exclude_defaults": response_model_exclude_defaults,
        "response_model_exclude_none": response_model_exclude_none, "strict_content_type": strict_content_type,
        "stream_item_type": _annotation(stream_item_field), "form_limits": form_limits,
    }, {"GET"})
    return plan_handler(compile_route(declared, dependant))


def get_websocket_app(
    dependant: Dependant, dependency_overrides_provider: Any = None, embed_body_fields: bool = False
) -> Callable[[WebSocket], Coroutine[Any, Any, Any]]:
    """A `WebSocket -> None` app running `dependant` as a WebSocket endpoint."""
    route = _asked_by(dependant)
    plan = route.plan if route is not None else compile_route(_DeclaredRoute(dependant, {}, None), dependant)
    runner = websocket_runner(plan)

    async def app(websocket: WebSocket) -> None:
        await runner(websocket.scope, websocket.receive, websocket.send)

    return app


async def serialize_response(
    *,
    field: Any = None,
    response_content: Any,
    include: Any = None,
    exclude: Any = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    is_coroutine: bool = True,
    endpoint_ctx: dict[str, Any] | None = None,
    dump_json: bool = False,
) -> Any:
    """`response_content` validated against `field` and dumped (JSON bytes with `dump_json`), or, without a
    field, made JSON-able; a value the field refuses raises `ResponseValidationError`."""
    if field is None:
        return jsonable_encoder(response_content)
    options = ResponseOptions(
        include=include, exclude=exclude, by_alias=by_alias, exclude_unset=exclude_unset,
        exclude_defaults=exclude_defaults, exclude_none=exclude_none,
    )
    serialize = build_model_serializer(_annotation(field), options, endpoint_ctx or {}, to_json=dump_json)
    if is_coroutine:
        return serialize(response_content)
    return await run_in_threadpool(serialize, response_content)


async def run_endpoint_function(*, dependant: Dependant, values: dict[str, Any], is_coroutine: bool) -> Any:
    """Call `dependant.call` with `values`: awaited when `is_coroutine`, else in the thread pool."""
    call = dependant.call
    assert call is not None, "dependant.call must be a function"
    if is_coroutine:
        return await call(**values)
    return await run_in_threadpool(call, **values)

"""The application's middleware stack in Starlette's shape, around vivace's compiled router.

Outermost first: Starlette's `ServerErrorMiddleware`, the layers the application adds itself (telemetry, body
limits, the header check), the user's middleware, an `ExceptionMiddleware`, and the compiled router. Tracing and
error-reporting libraries rely on that shape: they take `build_middleware_stack()`'s result apart (expecting a
`ServerErrorMiddleware` whose `.app`, `.handler` and `.debug` they rewrap), patch the two Starlette classes, or
read and extend the handler table the exception middleware publishes in `scope["starlette.exception_handlers"]`.

What stays vivace's: the compiled router answers every exception itself, from the table in the scope, so the
exception middleware's own layer only publishes that table (`HandlerTable`); and the whole stack is skipped for a
request when nobody could tell (`FastEntry`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from vivace._core.exports import HANDLERS_KEY

__all__ = ["FastEntry", "HandlerTable", "build_stack", "traced_by_instrumentation"]

#: (handlers by exception class, handlers by status code): the two dicts the router looks exceptions up in
Table = tuple[dict[Any, Any], dict[int, Any]]


class HandlerTable(ExceptionMiddleware):
    """Starlette's exception middleware, minus the `try` the compiled router already has.

    Its two dicts are the ones Starlette's `ExceptionMiddleware.__init__` fills (so a library that patches that
    method, or changes the dicts, changes what the router answers with); per request it only publishes them.
    """

    # NOTE: an ASGI 3 app though `__call__` is a plain function (asgiref-based wrappers would take it for ASGI 2)
    _asgi_single_callable = True

    def __init__(self, app: ASGIApp, handlers: dict[Any, Any] | None = None, debug: bool = False) -> None:
        super().__init__(app, handlers=handlers, debug=debug)
        self.table: Table = (self._exception_handlers, self._status_handlers)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:  # type: ignore[override]
        # PERF: returns the next app's coroutine: no frame and no wrapped `send` of its own
        scope[HANDLERS_KEY] = self.table
        return self.app(scope, receive, send)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class FastEntry:
    """A request's way around `stack` when nothing in it can be observed: publish `table`, call `app`.

    Built only for a stack of no user middleware whose Starlette classes nobody patched: its
    `ServerErrorMiddleware` would answer nothing (the router answers every error itself, the 500 included)
    and its exception layer only publishes `table`.
    """

    stack: ServerErrorMiddleware
    inner: ASGIApp  # what `stack.app` was built as: a library that rewraps it is observing
    table: Table
    app: ASGIApp
    #: when `app` is the application's route under at most its telemetry layer: whether that layer would pass the
    #: request straight through (a request it would pass may skip `app`); None: every request goes through `app`
    quiet: Callable[[], bool] | None = None


def _own_call(cls: type) -> bool:
    """Whether `cls.__call__` is still the class's own (an error reporter may have replaced it to watch it)."""
    return getattr(cls.__call__, "__qualname__", "") == f"{cls.__name__}.__call__"


def _exception_layer(app: ASGIApp, declared: Middleware) -> ExceptionMiddleware:
    """The exception middleware declared: vivace's thin one, or Starlette's own when its `__call__` is watched."""
    _cls, args, kwargs = declared
    if _own_call(ExceptionMiddleware):
        return HandlerTable(app, *args, **kwargs)
    return ExceptionMiddleware(app, *args, **kwargs)


def build_stack(
    route: ASGIApp,
    user_middleware: Sequence[Middleware],
    server_errors: Middleware,
    exceptions: Middleware,
    outer: Callable[[ASGIApp, bool], ASGIApp],
) -> tuple[ServerErrorMiddleware, FastEntry | None]:
    """The stack around `route`, and its fast entry when it has one.

    `server_errors` and `exceptions` are declared as `Middleware` (Starlette's own classes, as Starlette declares
    them: libraries hook that declaration); `outer(app, has_middleware)` adds the application's own layers.
    """
    layer = _exception_layer(route, exceptions)
    app: ASGIApp = layer
    for cls, args, kwargs in reversed(user_middleware):
        app = cls(app, *args, **kwargs)
    _cls, args, kwargs = server_errors
    stack = ServerErrorMiddleware(outer(app, bool(user_middleware)), *args, **kwargs)
    if user_middleware or not isinstance(layer, HandlerTable) or not _own_call(ServerErrorMiddleware):
        return stack, None
    if not _own_call(Starlette):
        return stack, None  # NOTE: an error reporter wraps every request in a patched Starlette.__call__
    return stack, FastEntry(stack, stack.app, layer.table, outer(route, False))


#: the ASGI layer of OpenTelemetry's instrumentation packages (`opentelemetry-instrumentation-asgi`, which the
#: FastAPI and Starlette instrumentors put inside the stack they rewrap)
_TRACING_LAYER = ("opentelemetry.instrumentation.asgi", "OpenTelemetryMiddleware")


def traced_by_instrumentation(stack: object, depth: int = 64) -> bool:
    """Whether OpenTelemetry's instrumentation put its ASGI layer inside `stack` (following `.app` links).

    NOTE: FastAPI 0.165 turns its own telemetry off for an app whose middleware stack holds that layer (measured:
    an instrumentor's spans only, no second server span); a layer wrapped around the whole app leaves it on.
    """
    layer: object = stack
    for _ in range(depth):
        cls = type(layer)
        if (cls.__module__, cls.__name__) == _TRACING_LAYER:
            return True
        layer = getattr(getattr(layer, "__self__", layer), "app", None)
        if layer is None:
            return False
    return False

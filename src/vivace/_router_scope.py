"""Router-scoped settings: exception handlers, middleware and problem details that apply to a router's routes only.

Declared on an `APIRouter` (or on one `include_router` call), they follow its routes wherever they are included.
Each route records its *layers*: the routers (and inclusions) it was declared in and copied through, innermost
first. At startup the application compiles, for each route with a layer that sets something:

* one exception-handler table: the app's handlers, then each layer's from the outermost in (an inner router's
  handler replaces an outer one's, and the app's, for the same key); the lookup is the app's (status code first,
  then the most specific class). `500` / `Exception` are the route's 500 answer, as on the app;
* one middleware chain: the outermost layer's middleware outside, each layer's list in declaration order (first
  listed = outermost). It is built once and kept across recompilations; only the route's runner behind it is
  swapped;
* whether its errors are problem documents (`problem_details`: the innermost layer that sets it, else the app's).

Routes whose layers set nothing keep the runner they had: they pay nothing per request.

Startup code only; the per-request parts (`guarded`, `RouteSlot`) are in `_core/app.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple, Protocol, TypeVar

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from vivace import exception_handlers as fastapi_defaults
from vivace import problems
from vivace._core.exports import ExceptionHandlers, RouteSlot, guarded
from vivace._core.runner import Runner, tracked
from vivace.exceptions import RequestValidationError

__all__ = [
    "AppErrorSettings",
    "Layer",
    "RouterScope",
    "ScopedRoutes",
    "app_handler_table",
    "check_handler_key",
    "check_middleware",
    "describe_scope",
    "inheriting",
    "problem_operations",
    "record_layers",
    "server_error_handler",
]

Handler = Callable[..., Any]
DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])

#: the attribute under which a route keeps its layers (innermost first)
_LAYERS = "_vivace_router_layers"
_SERVER_ERROR_KEYS = (500, Exception)


class Layer(Protocol):
    """What a router or an inclusion contributes to the routes it holds."""

    @property
    def exception_handlers(self) -> Mapping[Any, Handler]: ...

    @property
    def middleware(self) -> Sequence[Middleware]: ...

    @property
    def problem_details(self) -> bool | None: ...


class _Router(Layer, Protocol):
    _inheriting: tuple[Layer, ...]


class _Inclusion(Layer, Protocol):
    """One `include_router` call (`vivace._inclusion.Inclusion`): a layer of its own, naming the included router."""

    @property
    def router(self) -> Any: ...


class AppErrorSettings(Protocol):
    """The application's side of the merge."""

    exception_handlers: dict[Any, Handler]
    problem_details: bool
    debug: bool


# -- declaration ----------------------------------------------------------------------------------------------


def check_handler_key(key: Any) -> None:
    """An exception handler is registered for a status code or an exception class, nothing else."""
    if isinstance(key, bool) or not (isinstance(key, int) or (isinstance(key, type) and issubclass(key, Exception))):
        raise TypeError(f"exception handlers are registered for a status code or an exception class, not {key!r}")


def check_middleware(middleware: Sequence[Any] | None) -> list[Middleware]:
    """A router's middleware list: `Middleware(cls, *args, **kwargs)` entries, as the application takes."""
    entries = list(middleware or [])
    for entry in entries:
        if not isinstance(entry, Middleware):
            raise TypeError(f"router middleware must be given as Middleware(cls, ...) entries, not {entry!r}")
    return entries


def registering(
    add: Callable[[Any, Any], None], key: int | type[Exception]
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The decorator form of `add(key, handler)` (`@app.exception_handler`, `@router.exception_handler`): it
    registers the decorated function and returns it unchanged."""

    def decorator(func: DecoratedCallable) -> DecoratedCallable:
        add(key, func)
        return func

    return decorator


class RouterScope:
    """`APIRouter`'s router-scoped settings and their registration methods (the application's, for a router)."""

    exception_handlers: dict[Any, Handler]
    middleware: list[Middleware]
    problem_details: bool | None
    _inheriting: tuple[Layer, ...]
    _included_into: list[tuple[Any, Any]]

    def _init_scope(
        self,
        exception_handlers: Mapping[Any, Handler] | None,
        middleware: Sequence[Middleware] | None,
        problem_details: bool | None,
    ) -> None:
        for key in exception_handlers or {}:
            check_handler_key(key)
        self.exception_handlers = dict(exception_handlers or {})
        self.middleware = check_middleware(middleware)
        self.problem_details = problem_details
        self._inheriting = ()  # set while a route copied from an included router is added (see `inheriting`)

    def _changed(self) -> None:  # pragma: no cover - APIRouter's own method comes first in its MRO
        raise NotImplementedError

    def exception_handler(
        self, exc_class_or_status_code: int | type[Exception]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Register the decorated `(request, exc) -> Response` function for this router's routes."""
        return registering(self.add_exception_handler, exc_class_or_status_code)

    def add_exception_handler(self, exc_class_or_status_code: int | type[Exception], handler: Handler) -> None:
        """Answer `exc_class_or_status_code` with `handler` on this router's routes (wherever they are included)."""
        check_handler_key(exc_class_or_status_code)
        self.exception_handlers[exc_class_or_status_code] = handler
        self._scope_changed()

    def _scope_changed(self) -> None:
        """The applications serving copies of this router's routes compile them again."""
        self._changed()
        for parent, _ in self._included_into:
            parent._scope_changed()


def record_layers(route: BaseRoute, router: _Router) -> None:
    """`route` was added to `router`: its layers are the ones it was copied through, then `router`."""
    setattr(route, _LAYERS, (*router._inheriting, router))


@contextmanager
def inheriting(router: _Router, route: BaseRoute, inclusion: _Inclusion) -> Iterator[None]:
    """While `router` adds its copy of `route` (from an included router), the copy inherits `route`'s layers and
    the inclusion's. A route the included router holds without having added it (`routes=[...]`) is its own."""
    own: tuple[Layer, ...] = getattr(route, _LAYERS, None) or (inclusion.router,)
    router._inheriting = (*own, inclusion)
    try:
        yield
    finally:
        router._inheriting = ()


def _layers(route: BaseRoute) -> tuple[Layer, ...]:
    return getattr(route, _LAYERS, ())


def _problem_details(layers: Sequence[Layer], default: bool) -> bool:
    """The innermost layer's setting, else the application's."""
    return next((layer.problem_details for layer in layers if layer.problem_details is not None), default)


# -- the merged tables ----------------------------------------------------------------------------------------


async def _plain_server_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 500 (what an app without problem details answers), for a route that opts out of them."""
    return PlainTextResponse("Internal Server Error", status_code=500)


def _stock(problem_details: bool) -> dict[Any, Handler]:
    """The default handlers the `problem_details` setting installs."""
    source: Any = problems if problem_details else fastapi_defaults
    return {
        StarletteHTTPException: source.http_exception_handler,
        RequestValidationError: source.request_validation_exception_handler,
    }


def server_error_handler(handlers: Mapping[Any, Handler], problem_details: bool) -> Handler | None:
    """The 500 answer of a handler table; None is Starlette's own plain 500."""
    chosen = handlers.get(500) or handlers.get(Exception)
    if chosen is None and problem_details:
        return problems.server_error_handler
    return chosen


def app_handler_table(handlers: Mapping[Any, Handler]) -> ExceptionHandlers:
    """The handlers a table looks exceptions up in: a `ProblemDetail` answers its own document unless a handler
    is registered for it; the 500 keys are left to the 500 path."""
    kept = {key: handler for key, handler in handlers.items() if key not in _SERVER_ERROR_KEYS}
    return ExceptionHandlers({problems.ProblemDetail: problems.problem_detail_handler, **kept})


class _RouteErrors(NamedTuple):
    """A route's own exception handlers (PERF: this and _Chain are NamedTuples: cheaper classes than dataclasses)."""

    table: ExceptionHandlers
    server_error: Handler | None  # None: the app's 500 path answers


def _route_errors(layers: Sequence[Layer], app: AppErrorSettings) -> _RouteErrors | None:
    """The route's own handler table, or None when it is the app's."""
    problem_details = _problem_details(layers, app.problem_details)
    if problem_details == app.problem_details and not any(layer.exception_handlers for layer in layers):
        return None
    merged = dict(app.exception_handlers)
    if problem_details != app.problem_details:
        replaced, replacement = _stock(app.problem_details), _stock(problem_details)
        for key, handler in replaced.items():
            if merged.get(key) is handler:  # NOTE: the application's own handlers keep priority
                merged[key] = replacement[key]
    for layer in reversed(layers):
        merged.update(layer.exception_handlers)
    server_error: Handler | None = server_error_handler(merged, problem_details) or _plain_server_error
    app_server_error = server_error_handler(app.exception_handlers, app.problem_details) or _plain_server_error
    if server_error is app_server_error or app.debug:
        server_error = None  # NOTE: the app's 500 path answers (in debug, with its traceback page)
    return _RouteErrors(app_handler_table(merged), server_error)


def problem_operations(routes: Sequence[BaseRoute], app_problem_details: bool) -> list[tuple[str, list[str]]]:
    """(path, methods) of the documented operations whose errors are problem documents."""
    found = []
    for route in routes:
        path, methods = getattr(route, "path_format", None), getattr(route, "methods", None)
        if path is None or not methods or not getattr(route, "include_in_schema", False):
            continue
        if _problem_details(_layers(route), app_problem_details):
            found.append((path, sorted(methods)))
    return found


def describe_scope(route: BaseRoute, app_problem_details: bool) -> str | None:
    """What the route's routers add to it, for `vivace routes --plans`; None when nothing."""
    layers = _layers(route)
    keys = dict.fromkeys(key for layer in layers for key in layer.exception_handlers)
    parts = []
    if keys:
        parts.append("handlers for " + ", ".join(getattr(key, "__name__", str(key)) for key in keys))
    middleware = [entry.cls for layer in reversed(layers) for entry in layer.middleware]
    if middleware:
        parts.append("middleware " + " > ".join(getattr(cls, "__name__", repr(cls)) for cls in middleware))
    problem_details = _problem_details(layers, app_problem_details)
    if problem_details != app_problem_details:
        parts.append("problem details" if problem_details else "no problem details")
    return "; ".join(parts) or None


# -- compiling the routes' runners ----------------------------------------------------------------------------


class _Chain(NamedTuple):
    """A route's router middleware, built once: the middleware it was built from, the slot inside, the app."""

    route: BaseRoute
    middleware: tuple[Middleware, ...]
    slot: RouteSlot
    app: Runner


class ScopedRoutes:
    """The application's router-scoped compilation; keeps each route's middleware chain across recompilations."""

    def __init__(self) -> None:
        self._chains: dict[int, _Chain] = {}

    def apply(
        self,
        app: AppErrorSettings,
        routes: Sequence[BaseRoute],
        targets: dict[int, Runner],
        observed: dict[int, Runner] | None,
    ) -> None:
        """Wrap, in `targets` (and `observed`, the telemetry runners), the runners of routes whose routers set
        handlers, middleware or problem details; the other routes' entries are left as they are."""
        chains: dict[int, _Chain] = {}
        for route in routes:
            layers = _layers(route)
            if not layers:
                continue
            key = id(route)
            errors = _route_errors(layers, app)
            middleware = tuple(entry for layer in reversed(layers) for entry in layer.middleware)
            if errors is None and not middleware:
                continue
            plain = targets.get(key) or tracked(route.handle)
            seen = observed.pop(key, None) if observed is not None else None
            if errors is not None:
                plain = guarded(plain, errors.table, errors.server_error)
                seen = None if seen is None else guarded(seen, errors.table, errors.server_error)
            if not middleware:
                targets[key] = plain
                if seen is not None and observed is not None:
                    observed[key] = seen
                continue
            chain = self._chain(route, middleware)
            chain.slot.plain, chain.slot.observed = plain, seen
            targets[key] = chain.app
            chains[key] = chain
        self._chains = chains

    def _chain(self, route: BaseRoute, middleware: tuple[Middleware, ...]) -> _Chain:
        chain = self._chains.get(id(route))
        if chain is not None and chain.route is route and chain.middleware == middleware:
            return chain
        slot = RouteSlot(_unset)
        app: Any = slot
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        # NOTE: tracked, so a response a middleware sends itself marks the request answered (no second answer)
        return _Chain(route, middleware, slot, tracked(app))


async def _unset(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - replaced before use
    raise RuntimeError("route slot used before the application compiled its routes")

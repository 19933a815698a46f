"""`Vivace` (also exported as `FastAPI`): settings, routers, middleware. Startup code only.

The app compiles its routes into a `CompiledRouter` on startup (and again after routes or dependency overrides
change); a request then passes the middleware stack and goes straight to the compiled router.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import sys
import traceback
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from enum import Enum
from types import MappingProxyType
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send
from typing_extensions import Unpack, deprecated

from vivace import exception_handlers as fastapi_defaults
from vivace import problems
from vivace._core import drain
from vivace._core.app_scope import AppScope
from vivace._core.compile import compile_route
from vivace._core.exports import OUTER_500_KEY, TELEMETRY_KEY, CompiledRouter
from vivace._core.limits import LimitsLayer
from vivace._core.resolve import Context, warm_app_scoped
from vivace._core.runner import Runner
from vivace._core.send import HeaderGuard
from vivace._frontend import FrontendTable
from vivace._overrides import DependencyOverrides
from vivace._route_lazy import FirstUses
from vivace._route_options import RouteOptions
from vivace._route_plans import routes_key, same_objects
from vivace._router_scope import (
    ScopedRoutes,
    app_handler_table,
    problem_operations,
    registering,
    server_error_handler,
)
from vivace.datastructures import Default
from vivace.exception_handlers import websocket_request_validation_exception_handler
from vivace.exceptions import FastAPIDeprecationWarning, RequestValidationError, WebSocketRequestValidationError
from vivace.middleware._stack import FastEntry, build_stack, traced_by_instrumentation
from vivace.openapi._setup import install_docs
from vivace.params import Depends
from vivace.responses import JSONResponse, Response
from vivace.routing import APIRoute, APIRouter, APIWebSocketRoute, _as_context_factory, _Declarations, route_runner
from vivace.telemetry._dormant import PACKAGE, stop_waiting, waits_for_opentelemetry
from vivace.telemetry._install import telemetry_runtime
from vivace.utils import generate_unique_id

__all__ = ["FastAPI", "Vivace"]

# PERF: the OpenAPI generator and its schema helpers load on the first `app.openapi()`, not with the app
# class: 109M fewer instructions (5 %) in `import vivace` under callgrind. Both names stay reachable here
# (PEP 562 `__getattr__`), and a replacement assigned to them is the one `openapi()` uses.
_DEFERRED = {"get_openapi": "vivace.openapi.utils", "add_problem_details": "vivace.openapi._problems"}


def __getattr__(name: str) -> Any:
    module = _DEFERRED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def _deferred(name: str) -> Any:
    """One of the `_DEFERRED` names, loaded on first use (a bare name would not reach `__getattr__`)."""
    return globals()[name] if name in globals() else __getattr__(name)


AppType = TypeVar("AppType", bound="Vivace")


def _always() -> bool:
    return True


#: the methods of a path the static table lacks (the direct entry's lookup; never changed)
_NO_METHODS: Mapping[str, Any] = MappingProxyType({})

#: Starlette's own `__call__`, unless something patched it before vivace was imported (then always delegated to)
_STARLETTE_CALL = Starlette.__call__ if Starlette.__call__.__qualname__ == "Starlette.__call__" else None
DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])


def _warn_root_path() -> None:
    warnings.warn(
        "`root_path` on the application is deprecated: configure the server's root path instead "
        "(for example `vivace run --root-path /api/v1`, `fastapi run --root-path /api/v1` or uvicorn's "
        "`--root-path`).",
        FastAPIDeprecationWarning,
        stacklevel=3,  # NOTE: the caller of the application's constructor
    )


def _with_default_handlers(
    given: Mapping[Any, Callable[..., Any]] | None, problem_details: bool
) -> dict[Any, Callable[..., Any]]:
    """The application's exception handlers: `given`, then the defaults for what it leaves out (FastAPI's, or
    RFC 9457 problem details)."""
    handlers: dict[Any, Callable[..., Any]] = dict(given or {})
    defaults = problems if problem_details else fastapi_defaults
    handlers.setdefault(StarletteHTTPException, defaults.http_exception_handler)
    handlers.setdefault(RequestValidationError, defaults.request_validation_exception_handler)
    handlers.setdefault(WebSocketRequestValidationError, websocket_request_validation_exception_handler)
    return handlers


class Vivace(_Declarations, Starlette):
    """A FastAPI-compatible application; every route is compiled into a flat plan at startup."""

    # FastAPI's settings attributes, kept as `__init__` got them (applications read and change them):
    # what `openapi()` builds the document from whenever it rebuilds it...
    title: str
    summary: str | None
    description: str
    version: str
    terms_of_service: str | None
    contact: dict[str, str | Any] | None
    license_info: dict[str, str | Any] | None
    openapi_tags: list[dict[str, Any]] | None
    servers: list[dict[str, Any]]
    separate_input_output_schemas: bool
    openapi_external_docs: dict[str, Any] | None
    # ... and what `setup()` installs the docs pages from, once
    openapi_url: str | None
    docs_url: str | None
    redoc_url: str | None
    swagger_ui_oauth2_redirect_url: str | None
    swagger_ui_init_oauth: dict[str, Any] | None
    swagger_ui_parameters: dict[str, Any] | None
    docs_assets: str
    root_path_in_servers: bool

    def __init__(
        self,
        *,
        debug: bool = False,
        routes: list[BaseRoute] | None = None,
        title: str = "FastAPI",
        summary: str | None = None,
        description: str = "",
        version: str = "0.1.0",
        openapi_url: str | None = "/openapi.json",
        openapi_tags: list[dict[str, Any]] | None = None,
        servers: list[dict[str, Any]] | None = None,
        dependencies: Sequence[Depends] | None = None,
        default_response_class: type[Response] = Default(JSONResponse),
        redirect_slashes: bool = True,
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        swagger_ui_oauth2_redirect_url: str | None = "/docs/oauth2-redirect",
        swagger_ui_init_oauth: dict[str, Any] | None = None,
        middleware: Sequence[Middleware] | None = None,
        exception_handlers: dict[int | type[Exception], Callable[..., Any]] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan[AppType] | None = None,
        terms_of_service: str | None = None,
        contact: dict[str, str | Any] | None = None,
        license_info: dict[str, str | Any] | None = None,
        openapi_prefix: str = "",
        root_path: str = "",
        root_path_in_servers: bool = True,
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        webhooks: APIRouter | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        swagger_ui_parameters: dict[str, Any] | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        separate_input_output_schemas: bool = True,
        openapi_external_docs: dict[str, Any] | None = None,
        strict_content_type: bool = Default(True),
        max_body_size: int | None = None,
        form_limits: dict[str, int | None] | None = None,
        docs_assets: str = "local",
        telemetry: Any = None,
        problem_details: bool = False,
        **extra: Any,
    ) -> None:
        self.debug = debug
        self.problem_details = problem_details  # RFC 9457 error answers (vivace/problems.py)
        settings = {
            "title": title, "summary": summary, "description": description, "version": version,
            "terms_of_service": terms_of_service, "contact": contact, "license_info": license_info,
            "openapi_tags": openapi_tags, "servers": servers or [], "openapi_external_docs": openapi_external_docs,
            "separate_input_output_schemas": separate_input_output_schemas,
            "openapi_url": openapi_url, "docs_url": docs_url, "redoc_url": redoc_url, "docs_assets": docs_assets,
            "swagger_ui_oauth2_redirect_url": swagger_ui_oauth2_redirect_url,
            "swagger_ui_init_oauth": swagger_ui_init_oauth, "swagger_ui_parameters": swagger_ui_parameters,
            "root_path_in_servers": root_path_in_servers,
        }
        for name, value in settings.items():  # typed by the declarations at the top of the class
            setattr(self, name, value)
        self.extra = extra
        self.openapi_version = "3.1.0"
        self.openapi_schema: dict[str, Any] | None = None
        self._openapi_routes_version: int | None = None
        if root_path:
            _warn_root_path()
        self.root_path = root_path or openapi_prefix
        self.state = State()
        self.webhooks = webhooks or APIRouter()
        self._dirty = True
        self._compiled: CompiledRouter | None = None
        self._compiled_from: tuple[Any, ...] = ()  # routes_key() of what _compiled was compiled from
        self._plans: dict[int, Any] = {}
        self.app_scope = AppScope()
        self._dependency_overrides = DependencyOverrides(self._routes_changed)
        self.router: APIRouter = APIRouter(
            routes=routes, redirect_slashes=redirect_slashes, dependency_overrides_provider=self,
            on_startup=on_startup, on_shutdown=on_shutdown, lifespan=lifespan,
            default_response_class=default_response_class, dependencies=dependencies, callbacks=callbacks,
            deprecated=deprecated, include_in_schema=include_in_schema, responses=responses,
            generate_unique_id_function=generate_unique_id_function, strict_content_type=strict_content_type,
            max_body_size=max_body_size, form_limits=form_limits,
        )
        # NOTE: the app runs its lifespan through `router.lifespan_context`, as Starlette's app does, so an
        # extension that wraps it (fastapi-pagination does, to finish its set-up at startup) is honoured
        self.router.lifespan_context = self._own_lifespan  # type: ignore[assignment]
        self.max_body_size = self.router.max_body_size  # checked by the router
        self.exception_handlers = _with_default_handlers(exception_handlers, problem_details)
        self.user_middleware: list[Middleware] = list(middleware or [])
        self.middleware_stack: ASGIApp | None = None
        self._fast: FastEntry | None = None  # how a request may skip the stack build_middleware_stack() built
        self._instrumented_stack: tuple[ASGIApp, bool] | None = None
        # PERF: built before OpenTelemetry is imported, the app waits for that import (vivace/telemetry/_dormant.py)
        self._dormant = waits_for_opentelemetry(telemetry, self)
        self._fast_aside: FastEntry | None = None  # the fast entry while the next request wakes the app up
        self._telemetry = None if self._dormant else telemetry_runtime(telemetry)  # None: no layer, plain plans
        self._scoped_routes = ScopedRoutes()  # routes under routers with their own handlers or middleware
        self.setup()

    # -- configuration ------------------------------------------------------------------------------------

    @property
    def dependency_overrides(self) -> dict[Any, Any]:
        return self._dependency_overrides

    @dependency_overrides.setter
    def dependency_overrides(self, value: Mapping[Any, Any] | None) -> None:
        self._dependency_overrides = DependencyOverrides(self._routes_changed, value or {})
        self._routes_changed()

    def _routes_changed(self) -> None:
        self._dirty = True

    def _check_routes(self) -> None:
        """A sync point (vivace/_route_plans.py): recompile before the next request if a library changed a route,
        its dependencies or `router.routes` in place since the router was compiled. Startup code only."""
        if self._compiled is not None and not same_objects(routes_key(self.router.routes), self._compiled_from):
            self._dirty = True

    def setup(self) -> None:
        """Register /openapi.json and the docs pages (served from assets shipped in the wheel)."""
        install_docs(self)

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document, built on first use and cached until routes are added (as FastAPI does, a document
        assigned to `openapi_schema` before the first call is replaced by the generated one)."""
        self._check_routes()
        routes_version = self.router._version
        if not self.openapi_schema or self._openapi_routes_version != routes_version:
            self._openapi_routes_version = routes_version
            self.openapi_schema = _deferred("get_openapi")(
                title=self.title, version=self.version, openapi_version=self.openapi_version,
                summary=self.summary, description=self.description, terms_of_service=self.terms_of_service,
                contact=self.contact, license_info=self.license_info, routes=self.routes,
                webhooks=self.webhooks.routes, tags=self.openapi_tags, servers=self.servers,
                separate_input_output_schemas=self.separate_input_output_schemas,
                external_docs=self.openapi_external_docs,
            )
            operations = problem_operations(self.routes, self.problem_details)
            if operations:
                _deferred("add_problem_details")(self.openapi_schema, operations)
        return self.openapi_schema

    # -- compilation --------------------------------------------------------------------------------------

    def compile(self) -> CompiledRouter:
        """Every route (with the current dependency overrides) into a CompiledRouter; most compile on first use."""
        overrides = dict(self._dependency_overrides) or None
        plans: dict[int, Any] = {}
        targets: dict[int, Runner] = {}
        custom: set[int] = set()  # routes served by their own get_route_handler(), not straight from the plan
        # NOTE: the other routes compile on their first request (vivace/_route_lazy.py)
        waiting = FirstUses(self._telemetry) if overrides is None else None
        for route in self.router.routes:
            if isinstance(route, APIRoute | APIWebSocketRoute):
                if waiting is not None and waiting.admits(route):
                    targets[id(route)] = waiting.add(route)
                    continue
                plan = compile_route(route, route.analyse(overrides)) if overrides else route.plan
                plans[id(route)] = plan
                if isinstance(route, APIRoute) and route.has_custom_handler:
                    route.served_plan = plan
                    custom.add(id(route))
                targets[id(route)] = route_runner(route, plan)
        handlers = app_handler_table(self.exception_handlers)
        server_errors = self._server_error_layer()
        self._plans = plans
        observed = None
        if self._telemetry is not None:
            served_by_plan = {key: plan for key, plan in plans.items() if key not in custom}
            observed = self._telemetry.instrument(self.router.routes, served_by_plan)
            if waiting is not None:
                waiting.observe(observed)
        unwrapped, observed_unwrapped = dict(targets), None if observed is None else dict(observed)
        self._scoped_routes.apply(self, self.router.routes, targets, observed)
        if waiting is not None and waiting.compile_wrapped(targets, unwrapped, observed_unwrapped):
            targets, observed = unwrapped, observed_unwrapped
            self._scoped_routes.apply(self, self.router.routes, targets, observed)
        frontends = FrontendTable(self.router._frontends, overrides, APIRoute) if self.router._frontends else None
        self._compiled = CompiledRouter(
            list(self.router.routes), targets, handlers, self.router.redirect_slashes, server_errors, frontends,
            observed, self.router,
        )
        if waiting is not None:
            waiting.bind(self._compiled)
        self._dirty = False
        self._compiled_from = routes_key(self.router.routes)
        return self._compiled

    def _server_error_layer(self, app: ASGIApp | None = None) -> ServerErrorMiddleware:
        error_handler = server_error_handler(self.exception_handlers, self.problem_details)
        return ServerErrorMiddleware(app or self._route, handler=error_handler, debug=self.debug)

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack, outermost first: `ServerErrorMiddleware`, telemetry and body limits, the user's
        middleware, an `ExceptionMiddleware` (its handler table in `scope["starlette.exception_handlers"]`), and the
        compiled router. Built on the first request or at startup.

        The compiled router answers an unhandled exception with the 500 itself, so that response passes through
        every user middleware; the outer ServerErrorMiddleware only answers errors raised by middleware.
        """
        self._check_routes()
        table = app_handler_table(self.exception_handlers)
        error_handler = server_error_handler(self.exception_handlers, self.problem_details)
        stack, fast = build_stack(
            self._route,
            self.user_middleware,
            Middleware(ServerErrorMiddleware, handler=error_handler, debug=self.debug),
            Middleware(ExceptionMiddleware, handlers=table.handlers, debug=self.debug),
            self._own_layers,
        )
        self._fast = None if fast is None else dataclasses.replace(fast, quiet=self._quiet_over(fast.app))
        return stack

    def _quiet_over(self, app: ASGIApp) -> Callable[[], bool] | None:
        """When `app` (the fast entry's) is `_route` itself or under the telemetry layer alone: the check that the
        layer would pass a request straight to `_route`; None when a layer of its own (body limits) acts."""
        if app == self._route:
            return _always
        return None if self._telemetry is None else self._telemetry.quiet_over(app, self._route)

    def _opentelemetry_imported(self) -> None:
        """Something looks for `opentelemetry` (called by the import system): the next request takes `_enter`."""
        self._fast_aside, self._fast = self._fast or self._fast_aside, None

    def _wake(self) -> None:
        """Once OpenTelemetry is imported, the telemetry the app would have had if built after that import."""
        fast, self._fast_aside = self._fast or self._fast_aside, None
        if PACKAGE in sys.modules:
            self._dormant = stop_waiting(self)
            self._telemetry = telemetry_runtime(None)
            if self._telemetry is not None:
                fast, self._dirty = self._telemetry.join(self.middleware_stack, fast), True
        self._fast = None if fast is None else dataclasses.replace(fast, quiet=self._quiet_over(fast.app))

    def _own_layers(self, app: ASGIApp, has_middleware: bool) -> ASGIApp:
        """The application's layers inside ServerErrorMiddleware: telemetry, body limits, the header check."""
        if has_middleware:
            app = HeaderGuard(app)  # NOTE: headers a middleware sets are checked as a route's are (_core/send.py)
        # NOTE: in an app with middleware the limits layer is there even without settings of its own: mounted in an
        # app that set max_body_size, it answers the 413 a middleware's read raises before ServerErrorMiddleware's 500
        app = self._limits_layer(app, always=has_middleware)
        return app if self._telemetry is None else self._telemetry.wrap(app)

    def _limits_layer(self, app: ASGIApp, *, always: bool = False) -> ASGIApp:
        """The app's own `max_body_size` / `form_limits` around everything it serves (mounts, middleware, docs);
        without settings, `app` itself unless `always`."""
        if not always and self.router.max_body_size is None and not self.router.form_limits:
            return app
        too_large = problems.send_content_too_large if self.problem_details else None
        return LimitsLayer(app, self.router.max_body_size, self.router.form_limits, too_large)

    def _route(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # PERF: a plain function returning the compiled router's coroutine: no frame of its own per request
        compiled = self._compiled
        if compiled is None or self._dirty:
            compiled = self.compile()
        return compiled(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.root_path:
            scope["root_path"] = self.root_path
        fast = self._fast
        if (
            fast is not None
            and scope["type"] == "http"
            and fast.stack is self.middleware_stack
            and fast.stack.app is fast.inner
        ):
            # PERF: the stack as built, with nothing in it anyone could observe (no user middleware, nothing rewrapped
            # or patched): only its handler table is needed. The key is spelled out: a constant, not a global lookup.
            # `_always` is not called: an app without telemetry (or waiting for it) checks nothing (/hello: -0.7k)
            router, quiet = self._compiled, fast.quiet
            if (
                quiet is None or router is None or not router.direct or self._dirty
                or TELEMETRY_KEY in scope or (quiet is not _always and not quiet())
            ):
                scope["app"] = self
                scope["starlette.exception_handlers"] = fast.table
                await fast.app(scope, receive, send)
                return
            # PERF: nothing between here and the compiled router would act (telemetry records nothing): the router's
            # work without its frame, and without the telemetry layer's and `_route`'s calls (/hello: -2.5k
            # instructions in-process)
            static = router.static
            found = None if scope.get("root_path") else static.get(scope["path"], _NO_METHODS).get(scope["method"])
            if found is not None and found.unread:
                # PERF: a runner that reads no routing key: they are written only when an exception (or a returned
                # Response) needs them, before any handler or Request could see the scope (/hello: -2.5k)
                try:
                    await found.target(scope, receive, send)
                except Exception as exc:
                    router.reveal(scope, found, self, fast.table)
                    if not await router.answer_unread(exc, scope, receive, send):
                        raise
                return
            scope["app"] = self
            scope["starlette.exception_handlers"] = fast.table
            if "router" not in scope:
                scope["router"] = router.router
            try:
                if found is None:
                    target = router.dynamic_target(scope)
                else:
                    # PERF: the static match's part of `http_target` (its entries match fully; telemetry is idle)
                    scope["path_params"] = {}
                    scope["route"] = found.route
                    scope["endpoint"] = found.endpoint
                    target = found.target
                await target(scope, receive, send)
            except Exception as exc:
                if not await router.answer_error(exc, scope, receive, send):
                    raise
            return
        scope["app"] = self
        await self._enter(scope, receive, send)

    def _enter(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """The lifespan, WebSockets, a first request, and requests through the whole stack.

        PERF: returns the coroutine to await (no frame of its own per request)."""
        if self._dormant and (self._fast_aside is not None or PACKAGE in sys.modules):
            self._wake()
        if scope["type"] == "lifespan":
            lifespan = self._lifespan if self._telemetry is None else self._telemetry.lifespan(self._lifespan)
            return lifespan(scope, receive, send)
        stack = self.middleware_stack
        if stack is None:
            stack = self.middleware_stack = self.build_middleware_stack()
        fast = self._fast
        if fast is not None and stack is fast.stack and stack.app is fast.inner:
            scope["starlette.exception_handlers"] = fast.table
            return fast.app(scope, receive, send)  # type: ignore[no-any-return]
        return self._through(stack, scope, receive, send)

    def _through(self, stack: ASGIApp, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """A request through the whole stack: with user middleware, or with an instrumentation watching.

        PERF: returns the stack's coroutine (no frame of its own per request)."""
        if Starlette.__call__ is not _STARLETTE_CALL:
            # NOTE: an error reporter patched Starlette.__call__ (sentry-sdk wraps every request there): requests
            # pass through it, as FastAPI's do; Starlette's own __call__ then runs the middleware stack
            return Starlette.__call__(self, scope, receive, send)
        if self._instrumented(stack):
            # NOTE: as in FastAPI: the instrumentation's span records an unhandled exception before the 500 ends it,
            # and the app's own telemetry (present and None) records nothing
            scope[OUTER_500_KEY] = True
            if self._telemetry is not None:
                scope.setdefault(TELEMETRY_KEY, None)
        return stack(scope, receive, send)  # type: ignore[no-any-return]

    def _instrumented(self, stack: ASGIApp) -> bool:
        """Whether OpenTelemetry's instrumentation traces inside `stack` (then, as in FastAPI, the app does not)."""
        seen = self._instrumented_stack
        if seen is None or seen[0] is not stack:
            seen = self._instrumented_stack = (stack, traced_by_instrumentation(stack))
        return seen[1]

    # -- lifespan -----------------------------------------------------------------------------------------

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        await receive()
        try:
            async with self.router.lifespan_context(self) as state:
                if state is not None:
                    scope.setdefault("state", {}).update(state)
                if self._dormant:
                    self._wake()  # NOTE: the lifespan may have imported OpenTelemetry to set a provider
                self.compile()
                await self._warm_app_scoped(scope, receive, send)
                if self.middleware_stack is None:
                    self.middleware_stack = self.build_middleware_stack()
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()
        except BaseException:
            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": traceback.format_exc()})
            raise
        await send({"type": "lifespan.shutdown.complete"})

    async def _warm_app_scoped(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx = Context({"type": "lifespan", "app": self}, receive, send)
        for plan in self._plans.values():
            if any(step.app_scoped for step in plan.steps):
                await warm_app_scoped(plan.steps, ctx)

    def _own_lifespan(self, app: Any) -> AbstractAsyncContextManager[Mapping[str, Any] | None]:
        """The app's whole lifespan (startup handlers, lifespans, app scope, drain) as `router.lifespan_context`."""
        return self._lifespan_context()

    @asynccontextmanager
    async def _lifespan_context(self) -> AsyncIterator[Mapping[str, Any] | None]:
        state: dict[str, Any] = {}
        async with AsyncExitStack() as stack:
            stack.enter_context(drain.watch(self))  # graceful shutdown: see _core/drain.py
            for handler in self.router.on_startup:
                await _call_handler(handler)
            stack.push_async_callback(self._run_shutdown_handlers)
            stack.push_async_callback(self.app_scope.close)
            for lifespan in self._lifespans():
                value = await stack.enter_async_context(_as_context(lifespan, self))
                if value is not None:
                    # NOTE: the app's lifespan comes first, then included routers outermost first; on a shared key
                    # the one closer to the application wins, as in FastAPI
                    state = {**value, **state}
            yield state or None

    async def _run_shutdown_handlers(self) -> None:
        for handler in self.router.on_shutdown:
            await _call_handler(handler)

    def _lifespans(self) -> list[Callable[[Any], Any]]:
        found = [self.router.lifespan_context_user] if self.router.lifespan_context_user else []
        return found + list(getattr(self.router, "_included_lifespans", []))

    # -- granian's RSGI interface: vivace._rsgi serves the same compiled plans without an ASGI server --------
    # PERF: vivace._rsgi is imported when granian first asks for it, not with every application

    @property
    def __rsgi__(self) -> Callable[[Any, Any], Awaitable[None]]:
        # PERF: a property: granian looks `__rsgi__` up once per worker and then calls the entry directly
        from vivace._rsgi.entry import rsgi_entry  # noqa: PLC0415

        return rsgi_entry(self).__rsgi__

    def __rsgi_init__(self, loop: Any) -> None:
        from vivace._rsgi.entry import rsgi_entry  # noqa: PLC0415

        rsgi_entry(self).__rsgi_init__(loop)

    def __rsgi_del__(self, loop: Any) -> None:
        from vivace._rsgi.entry import rsgi_entry  # noqa: PLC0415

        rsgi_entry(self).__rsgi_del__(loop)

    # -- FastAPI's decorators and registration methods, delegated to the router ---------------------------

    def _declared_in(self) -> APIRouter:
        """Where `get`, `post`... and `frontend` (shared with APIRouter) declare: the application's router."""
        return self.router

    def add_api_route(
        self, path: str, endpoint: Callable[..., Any], *, methods: list[str] | None = None,
        **options: Unpack[RouteOptions],
    ) -> None:
        self.router.add_api_route(path, endpoint, methods=methods, **options)

    def api_route(
        self, path: str, *, methods: list[str] | None = None, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.api_route(path, methods=methods, **options)

    def websocket(
        self, path: str, name: str | None = None, *, dependencies: Sequence[Depends] | None = None
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.websocket(path, name=name, dependencies=dependencies)

    def add_api_websocket_route(
        self, path: str, endpoint: Callable[..., Any], name: str | None = None, *,
        dependencies: Sequence[Depends] | None = None,
    ) -> None:
        self.router.add_api_websocket_route(path, endpoint, name=name, dependencies=dependencies)

    def include_router(self, router: APIRouter, **options: Any) -> None:
        """Add `router`'s operations (see `APIRouter.include_router` for the options)."""
        self.router.include_router(router, **options)

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        self.router.mount(path, app=app, name=name)
        self._routes_changed()

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        self.router.host(host, app=app, name=name)
        self._routes_changed()

    def add_route(self, path: str, route: Callable[..., Any], methods: list[str] | None = None,
                  name: str | None = None, include_in_schema: bool = True) -> None:
        self.router.add_route(path, route, methods=methods, name=name, include_in_schema=include_in_schema)
        self._routes_changed()

    def route(self, path: str, methods: list[str] | None = None, name: str | None = None,
              include_in_schema: bool = True) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.route(path, methods=methods, name=name, include_in_schema=include_in_schema)

    def websocket_route(self, path: str, name: str | None = None) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.websocket_route(path, name=name)

    def add_websocket_route(self, path: str, route: Callable[..., Any], name: str | None = None) -> None:
        self.router.add_websocket_route(path, route, name=name)
        self._routes_changed()

    def add_middleware(self, middleware_class: Any, *args: Any, **kwargs: Any) -> None:
        super().add_middleware(middleware_class, *args, **kwargs)

    def exception_handler(
        self, exc_class_or_status_code: int | type[Exception]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return registering(self.add_exception_handler, exc_class_or_status_code)

    def add_exception_handler(self, exc_class_or_status_code: int | type[Exception], handler: Any) -> None:
        self.exception_handlers[exc_class_or_status_code] = handler
        self._routes_changed()
        self.middleware_stack = None if self.middleware_stack is None else self.build_middleware_stack()

    def middleware(self, middleware_type: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """`@app.middleware("http")`: wrap every request with `async def func(request, call_next)`."""
        assert middleware_type == "http", 'Currently only middleware("http") is supported.'

        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            from vivace.middleware.http import HTTPMiddleware  # noqa: PLC0415 - PERF: loaded by its first use

            self.add_middleware(HTTPMiddleware, dispatch=func)
            return func

        return decorator

    @deprecated("on_event is deprecated, use lifespan event handlers instead.")
    def on_event(self, event_type: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.add_event_handler_decorator(event_type)

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        self.router.add_event_handler(event_type, func)


FastAPI = Vivace


async def _call_handler(handler: Callable[[], Any]) -> None:
    result = handler()
    if inspect.isawaitable(result):
        await result


def _as_context(lifespan: Callable[[Any], Any], app: Any) -> AbstractAsyncContextManager[Any]:
    """A lifespan in any form FastAPI accepts (context-manager factory, async or plain generator function)."""
    return _as_context_factory(lifespan)(app)  # type: ignore[no-any-return]


_unused: tuple[type[Enum], type[Awaitable[Any]]] = (Enum, Awaitable)

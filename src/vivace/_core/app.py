"""The ASGI entry behind the middleware stack: match, then hand over to `handle`; lifespan; exception handlers.

`CompiledRouter` is built from the application's routes at startup (and rebuilt when routes or dependency
overrides change); per request it only matches and dispatches.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from contextlib import AsyncExitStack
from contextvars import Context, copy_context
from typing import Any, Protocol
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.exceptions import WebSocketException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Router
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketClose

from vivace._core.exit_stacks import FUNCTION_STACK_KEY, INNER_STACK_KEY, MIDDLEWARE_STACK_KEY, RequestStack
from vivace._core.handle import locate_error
from vivace._core.match import Found, Matcher
from vivace._core.runner import RESPONSE_STARTED, Runner, Unrouted, tracked
from vivace._core.websocket import close_after_error

__all__ = [
    "HANDLERS_KEY",
    "OUTER_500_KEY",
    "ROUTER_KEY",
    "SERVER_ERROR_KEY",
    "TELEMETRY_KEY",
    "CompiledRouter",
    "ExceptionHandlers",
    "RouteSlot",
    "RouterCallRouter",
    "guarded",
    "overrides_call",
    "with_exit_stacks",
    "with_websocket_exit_stacks",
]

#: set in the scope just before the 500 for an unhandled exception is sent, so `@app.middleware("http")` can raise
#: the exception from `call_next` (as FastAPI does) instead of returning that response
SERVER_ERROR_KEY = "vivace.server_error"

#: set when tracing instrumentation inside the application's stack must see an unhandled exception before any
#: response is sent (its span ends with the response): the router then leaves the 500 to the outer
#: ServerErrorMiddleware, as FastAPI always does
OUTER_500_KEY = "vivace.outer_server_error"

#: the key the telemetry layer sets on requests it observes (FastAPI's own key, see vivace.telemetry._state)
TELEMETRY_KEY = "fastapi.telemetry"

#: Starlette's key for the handler table of the innermost exception middleware: (by class, by status code). The
#: application's exception layer puts it in every scope; libraries read and extend it, and the router answers
#: exceptions from it
HANDLERS_KEY = "starlette.exception_handlers"

#: the compiled router, in the scope of requests that a router class's own `__call__` routes (RouterCallRouter)
ROUTER_KEY = "vivace.compiled_router"

Handler = Callable[..., Any]


class Frontends(Protocol):
    """What the router asks when no route matched: serve the request (True) or leave it a 404 (False)."""

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> bool: ...


async def close_websocket(websocket: WebSocket, exc: WebSocketException) -> None:
    """The default handler for `WebSocketException`: close the connection with the exception's code and reason."""
    await websocket.close(code=exc.code, reason=exc.reason)


class ExceptionHandlers:
    """Handlers by status code (for HTTP exceptions) or by exception class, looked up along the MRO."""

    def __init__(self, handlers: dict[Any, Handler]) -> None:
        self.handlers: dict[Any, Handler] = {WebSocketException: close_websocket, **handlers}
        self._by_status = {k: v for k, v in self.handlers.items() if isinstance(k, int)}
        self._by_class = {k: v for k, v in self.handlers.items() if isinstance(k, type)}

    def find(self, exc: Exception) -> Handler | None:
        return find_handler((self._by_class, self._by_status), exc)


def find_handler(table: tuple[Mapping[Any, Handler], Mapping[int, Handler]], exc: Exception) -> Handler | None:
    """The handler of a (by class, by status code) table for `exc`: its status code's, else its nearest class's."""
    by_class, by_status = table
    if isinstance(exc, StarletteHTTPException) and exc.status_code in by_status:
        return by_status[exc.status_code]
    for cls in type(exc).__mro__:
        if cls in by_class:
            return by_class[cls]
    return None


class CompiledRouter:
    """Routes + their runners + exception handlers: the innermost ASGI app."""

    #: whether the application may route HTTP requests itself, through `http_target` and `answer_error`, rather
    #: than await this router's `__call__` (False for a router class whose own `__call__` routes requests)
    direct = True

    def __new__(cls, *args: Any, **kwargs: Any) -> CompiledRouter:
        # NOTE: chosen once per compilation: an app whose router class routes requests itself gets the subclass
        # that hands them over, so other apps pay nothing for it per request
        router = kwargs["router"] if "router" in kwargs else args[7] if len(args) > 7 else None
        chosen = RouterCallRouter if cls is CompiledRouter and overrides_call(router) else cls
        return super().__new__(chosen)

    def __init__(
        self,
        routes: list[BaseRoute],
        targets: dict[int, Runner],
        handlers: ExceptionHandlers,
        redirect_slashes: bool,
        server_errors: ServerErrorMiddleware | None = None,
        frontends: Frontends | None = None,
        observed: dict[int, Runner] | None = None,
        router: object = None,
    ) -> None:
        targets = dict(targets)
        for route in routes:
            if id(route) not in targets:
                targets[id(route)] = tracked(route.handle)
        self.targets = targets
        self.matcher = Matcher(routes, targets)
        #: path -> {method: Found} of the static paths (the matcher's table), read by the application's direct entry
        self.static = self.matcher.static
        # NOTE: low-priority routes (`app.frontend()`), consulted only on the 404 path: after every route missed
        self.frontends = frontends
        self.handlers = handlers
        self.redirect_slashes = redirect_slashes
        # NOTE: the router answers an unhandled error with the 500 itself, innermost, so the 500 passes through
        # every user middleware (CORS headers on 500s) before the exception is raised again for the server
        self.server_errors = server_errors
        # runners that record telemetry, used instead of the plain ones for requests the telemetry layer observes
        self.observed = observed or None
        # NOTE: scope["router"] as Starlette's router sets it, after the middleware: the outermost app's router (so
        # `request.url_for` in a mounted app resolves from the root, mount prefix included)
        self.router = router
        self._not_found_target = tracked(self._not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "router" not in scope:
            scope["router"] = self.router
        if scope["type"] != "http":
            await self._websocket(scope, receive, send)
            return
        # PERF: match, dispatch and error handling in one frame; a runner marks RESPONSE_STARTED itself, so
        # `send` is not wrapped on the common path
        try:
            await self.http_target(scope)(scope, receive, send)
        except Exception as exc:
            if not await self.answer_error(exc, scope, receive, send):
                raise

    def http_target(self, scope: Scope) -> Runner:
        """The runner answering an HTTP request, once the match is in the scope (path params, route, endpoint).

        Raises the 405 of a path matched without its method; the caller answers what it and the runner raise
        with `answer_error`. PERF: a plain function with the static-path lookup inlined (no `match_http` call).
        """
        found = None
        if not scope.get("root_path"):
            methods = self.matcher.static.get(scope["path"])
            if methods is not None:
                found = methods.get(scope["method"])
        if found is None:
            return self.dynamic_target(scope)
        # NOTE: a static entry matches fully, with no path parameter
        scope["path_params"] = {}
        route = found.route
        scope["route"] = route
        scope["endpoint"] = found.endpoint
        observed = self.observed
        if observed is not None and TELEMETRY_KEY in scope:
            return observed.get(id(route), found.target)  # type: ignore[no-any-return]
        return found.target  # type: ignore[no-any-return]

    def dynamic_target(self, scope: Scope) -> Runner:
        """`http_target` for a request the static table does not answer (its caller looked there already)."""
        found = self.matcher.match_http(scope)
        if found is None:
            return self._not_found_target
        if found.child_scope is None:
            scope["path_params"] = {}
        else:
            scope.update(found.child_scope)
        route = found.route
        scope["route"] = route
        scope["endpoint"] = found.endpoint
        if not found.full:
            allow = ", ".join(sorted(getattr(route, "methods", None) or ()))
            raise StarletteHTTPException(status_code=405, headers={"Allow": allow})
        observed = self.observed
        if observed is not None and TELEMETRY_KEY in scope:
            return observed.get(id(route), found.target)  # type: ignore[no-any-return]
        return found.target  # type: ignore[no-any-return]

    def reveal(self, scope: Scope, found: Found, app: object, table: object) -> None:
        """Write the keys left out of the scope of a request to a static path whose match, `found`, is
        `Found.unread`, in the order the usual path writes them: scope["app"], ["starlette.exception_handlers"],
        ["router"], ["path_params"], ["route"], ["endpoint"].

        The application's direct entry leaves them out when nothing can read them, and writes them here before
        anything could: when the runner lets an exception out (or raises `Unrouted` to have a Response sent).
        """
        scope["app"] = app
        scope[HANDLERS_KEY] = table
        if "router" not in scope:
            scope["router"] = self.router
        scope["path_params"] = {}
        scope["route"] = found.route
        scope["endpoint"] = found.endpoint

    async def answer_unread(self, exc: Exception, scope: Scope, receive: Receive, send: Send) -> bool:
        """What the runner of an unread match let out, once `reveal`ed: its Response sent (`Unrouted`), or `exc`
        answered as `answer_error` answers it (False: for the caller to raise again)."""
        if not isinstance(exc, Unrouted):
            return await self.answer_error(exc, scope, receive, send)
        try:
            await exc.respond(scope, receive, send)
        except Exception as error:
            if not await self.answer_error(error, scope, receive, send):
                raise
        return True

    async def answer_error(self, exc: Exception, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer an HTTP request's exception with its handler (True), or with the 500 before it is raised again."""
        if RESPONSE_STARTED in scope:
            return False
        locate_error(exc, scope)
        handler = self._handler(exc, scope)
        if handler is not None:
            await self._respond_with(handler, exc, scope, receive, send)
            return True
        if self.server_errors is not None and OUTER_500_KEY not in scope:
            await self._server_error(self.server_errors, exc, scope, receive, send)
        return False

    def _handler(self, exc: Exception, scope: Scope) -> Handler | None:
        """The handler from the table in the scope (the app's exception layer, possibly extended by a library)."""
        table = scope.get(HANDLERS_KEY)
        return self.handlers.find(exc) if table is None else find_handler(table, exc)

    async def _server_error(
        self, layer: ServerErrorMiddleware, exc: Exception, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """What Starlette's ServerErrorMiddleware answers: the 500 handler, a debug page, or a plain 500."""
        request = Request(scope)
        scope[SERVER_ERROR_KEY] = exc
        handler: Any = layer.handler
        if layer.debug:
            await layer.debug_response(request, exc)(scope, receive, send)
        elif handler is None:
            await layer.error_response(request, exc)(scope, receive, send)
        else:
            await _answer(handler, request, exc, scope, receive, send)

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.redirect_slashes:
            alternative = self.matcher.redirect_target(scope)
            if alternative is not None:
                path = scope["path"]
                redirect_scope = {
                    **scope,
                    "path": path.rstrip("/") if path.endswith("/") else path + "/",
                    "query_string": _utf8_query(scope.get("query_string", b"")),
                }
                await RedirectResponse(url=str(URL(scope=redirect_scope)))(scope, receive, send)
                return
        if self.frontends is not None and await self.frontends.serve(scope, receive, send):
            return
        raise StarletteHTTPException(status_code=404)

    async def _respond_with(self, handler: Handler, exc: Exception, scope: Scope, receive: Receive, send: Send) -> None:
        await _respond_with(handler, exc, scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.matcher.match_websocket(scope)
        if found is None:
            await WebSocketClose()(scope, receive, send)
            return
        scope.update(found.child_scope or {})
        scope["route"] = found.route
        scope["endpoint"] = found.endpoint
        observed = self.observed
        target = found.target
        if observed is not None and TELEMETRY_KEY in scope:
            target = observed.get(id(found.route), target)
        await self._run_websocket(target, scope, receive, send)

    async def _run_websocket(self, target: Runner, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await target(scope, receive, send)
        except Exception as exc:
            handler = self._handler(exc, scope)
            if handler is None:
                await close_after_error(scope)  # NOTE: 1011 to the client, not a dropped connection
                raise
            # NOTE: a handler's response (an HTTPException's 401, say) becomes the handshake's denial response
            await self._respond_with(handler, exc, scope, receive, send)

    def replace_target(self, route: object, old: Runner, new: Runner) -> None:
        """Serve `route` with `new` where it was served with `old` (its first use compiled it: `vivace._route_lazy`)."""
        key = id(route)
        if self.targets.get(key) is old:
            self.targets[key] = new
        self.matcher.replace_target(key, old, new)

    def target_for(self, route: object, scope: Scope) -> Runner | None:
        """The compiled runner of one of this router's routes for this request (None for a route it does not
        hold): a route's `app` runs it when the router class's own `__call__` handed the request over."""
        observed = self.observed
        if observed is not None and TELEMETRY_KEY in scope and id(route) in observed:
            return observed[id(route)]
        return self.targets.get(id(route))


class RouterCallRouter(CompiledRouter):
    """The compiled router of an app whose router class overrides `__call__`: requests go through that method.

    NOTE: FastAPI's middleware stack ends in `app.router`, so a router subclass may route requests itself (cadwyn
    picks the routes of the requested API version there, and records it in the scope). Its routes then run their
    compiled runners (their `app` finds them through ROUTER_KEY), and exceptions are answered as for any route.
    Only such apps pay for it: the class is chosen at compile time.
    """

    direct = False  # NOTE: every request goes through `__call__`, so through the router class's own

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._through = tracked(self.router)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[ROUTER_KEY] = self
        if "router" not in scope:
            scope["router"] = self.router
        if scope["type"] != "http":
            await self._run_websocket(self.router, scope, receive, send)  # type: ignore[arg-type]
            return
        entry = copy_context()
        try:
            await self._through(scope, receive, send)
        except Exception as exc:
            answering = self.answer_error(exc, scope, receive, send)
            if RESPONSE_STARTED not in scope and self._handler(exc, scope) is None:
                # NOTE: the 500 handler runs in the context the request came in with, as under FastAPI's outermost
                # ServerErrorMiddleware: it does not see what the router class (cadwyn's version fallback) or the
                # endpoint set in context variables
                answering = _in_context(entry, answering)
            if not await answering:
                raise


async def _in_context(context: Context, awaiting: Coroutine[Any, Any, bool]) -> bool:
    """`await awaiting`, in `context` (a task of its own on asyncio; as it is on other event loops)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # NOTE: not asyncio (trio)
        return await awaiting
    return await loop.create_task(awaiting, context=context)


def with_exit_stacks(run: Runner) -> Runner:
    """`run` with FastAPI's exit stacks in the scope (MIDDLEWARE_STACK_KEY, INNER_STACK_KEY, FUNCTION_STACK_KEY),
    exited in its order: the function stack as the response starts (after the endpoint and its function-scoped
    dependencies) or with the route's exception, then the inner stack, where an exception one of the app's
    handlers takes is answered, then the middleware stack.

    PERF: only for routes whose code can reach the scope (a `Request`, `WebSocket` or `HTTPConnection` parameter,
    a route class's own handler; vivace's own dependencies such as its security schemes do not count); two
    coroutines for the three stacks, each a `RequestStack`, and a stack nothing was registered on is not exited
    (`_exit_callbacks` is read directly: `used()` is a call). Other routes pay nothing.
    """

    async def run_with_stacks(scope: Scope, receive: Receive, send: Send) -> None:
        outer = scope[MIDDLEWARE_STACK_KEY] = RequestStack()
        inner = scope[INNER_STACK_KEY] = RequestStack()
        try:
            try:
                try:
                    await _in_function_stack(run, scope, receive, send)
                except BaseException as exc:
                    if not await _swallowed(inner, exc):
                        raise
                else:
                    if inner._exit_callbacks:
                        await inner.aclose()
            except Exception as exc:
                # NOTE: answered inside the middleware stack, as FastAPI's route answers handled exceptions
                await _answer_handled(exc, scope, receive, send)
        except BaseException as exc:
            if not await _swallowed(outer, exc):
                raise
            return  # NOTE: a callback swallowed it: nothing is answered, as in FastAPI
        if outer._exit_callbacks:
            await outer.aclose()

    run_with_stacks.__wrapped__ = run  # type: ignore[attr-defined]  # NOTE: what is run stays visible (tests, CLI)
    return run_with_stacks


async def _in_function_stack(run: Runner, scope: Scope, receive: Receive, send: Send) -> None:
    """`run` with the function stack in the scope, exited as the response starts (after the endpoint and its
    function-scoped dependencies, as in FastAPI), or with the route's exception."""
    function = scope[FUNCTION_STACK_KEY] = RequestStack()
    open_ = True

    async def send_after_exit(message: Message) -> None:
        nonlocal open_
        if open_ and message["type"] == "http.response.start":
            open_ = False
            if function._exit_callbacks:
                await function.aclose()
        await send(message)

    try:
        await run(scope, receive, send_after_exit)
    except BaseException as exc:
        was_open, open_ = open_, False
        if not (was_open and await _swallowed(function, exc)):
            raise
        return
    if open_ and function._exit_callbacks:
        await function.aclose()


async def _swallowed(stack: AsyncExitStack, exc: BaseException) -> bool:
    """Exit `stack` (if anything is registered on it) with `exc`; whether one of its callbacks swallowed it."""
    if not stack._exit_callbacks:  # type: ignore[attr-defined]
        return False
    return bool(await stack.__aexit__(type(exc), exc, exc.__traceback__))


async def _answer_handled(exc: Exception, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer `exc` with the app's handler for it, or raise it again when none takes it (or the response started)."""
    table = scope.get(HANDLERS_KEY)
    handler = None if table is None or RESPONSE_STARTED in scope else find_handler(table, exc)
    if handler is None:
        raise exc
    locate_error(exc, scope)
    await _respond_with(handler, exc, scope, receive, send)


def with_websocket_exit_stacks(run: Runner) -> Runner:
    """`run` with FastAPI's three exit stacks in a WebSocket's scope, exited when the session ends (the function
    stack first), each seeing the session's exception."""

    async def run_with_stacks(scope: Scope, receive: Receive, send: Send) -> None:
        async with AsyncExitStack() as outer, AsyncExitStack() as inner, AsyncExitStack() as function:
            scope[MIDDLEWARE_STACK_KEY], scope[INNER_STACK_KEY], scope[FUNCTION_STACK_KEY] = outer, inner, function
            await run(scope, receive, send)

    run_with_stacks.__wrapped__ = run  # type: ignore[attr-defined]
    return run_with_stacks


def overrides_call(router: object) -> bool:
    """Whether `router`'s class defines a `__call__` of its own, over Starlette's `Router` (vivace's `APIRouter`
    keeps Starlette's)."""
    return isinstance(router, Router) and type(router).__call__ is not Router.__call__


def guarded(run: Runner, handlers: ExceptionHandlers, server_error: Handler | None) -> Runner:
    """`run` with the exception handlers of its routers (merged with the app's at startup) answering first.

    An exception no handler takes goes on to the app's handlers and 500 path, unless the route answers server
    errors its own way (`server_error`, e.g. a router's 500 handler): then that answers, and the exception is
    raised again for the server, as the app's 500 path does. Only routes under routers with such settings are
    wrapped.
    """

    async def guarded_run(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await run(scope, receive, send)
        except Exception as exc:
            if RESPONSE_STARTED in scope:
                raise
            handler = handlers.find(exc)
            if handler is None and (server_error is None or scope["type"] != "http"):
                raise  # NOTE: not located here: the app's router locates what reaches it
            locate_error(exc, scope)
            if handler is not None:
                await _respond_with(handler, exc, scope, receive, send)
                return
            assert server_error is not None
            scope[SERVER_ERROR_KEY] = exc
            await _answer(server_error, Request(scope), exc, scope, receive, send)
            scope[RESPONSE_STARTED] = True  # answered: the app's router raises it again without a second answer
            raise

    return guarded_run


class RouteSlot:
    """The innermost app of a route's router middleware: the route's current runner.

    The middleware is built once around the slot; recompiling the app (new routes, dependency overrides) only
    swaps the runners in it. With telemetry, the slot picks the observed runner for observed requests.
    """

    __slots__ = ("observed", "plain")

    def __init__(self, plain: Runner, observed: Runner | None = None) -> None:
        self.plain = plain
        self.observed = observed

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # PERF: returns the runner's coroutine: no frame of its own per request
        observed = self.observed
        if observed is not None and TELEMETRY_KEY in scope:
            return observed(scope, receive, send)
        return self.plain(scope, receive, send)


async def _respond_with(handler: Handler, exc: Exception, scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send) if scope["type"] == "http" else WebSocket(scope, receive, send)
    await _answer(handler, request, exc, scope, receive, send)


async def _answer(
    handler: Handler, request: Request | WebSocket, exc: Exception, scope: Scope, receive: Receive, send: Send
) -> None:
    """Send what an exception handler (async, or plain and run in the thread pool) returns, if anything."""
    if _is_async(handler):
        response = await handler(request, exc)
    else:
        response = await run_in_threadpool(handler, request, exc)
    if response is None:
        return
    if scope["type"] == "http":
        # NOTE: a handler's headers (an HTTPException's) are checked like a route's: a bad one is a clean 500
        await tracked(response)(scope, receive, send)
    else:
        await response(scope, receive, send)


# What may stand unescaped in a URL's query (RFC 3986: unreserved, sub-delims, ":", "@", "/", "?", and "%").
_QUERY_SAFE = "!$&'()*+,;=:@/?%"


def _utf8_query(query: bytes) -> bytes:
    """`query` as it is when it is UTF-8 (FastAPI's redirect), else with its other bytes percent-encoded.

    NOTE: Starlette decodes the query as UTF-8 to build the redirect; a client's stray byte made that a 500.
    """
    try:
        query.decode()
    except UnicodeDecodeError:
        return quote(query, safe=_QUERY_SAFE).encode()
    return query


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(getattr(func, "__call__", None))  # noqa: B004

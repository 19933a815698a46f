"""Custom route classes: a plan run as FastAPI's `request -> Response` route handler.

FastAPI lets a subclass of `APIRoute` wrap `get_route_handler()` (to swap the `Request` class, time the call,
inspect validation errors...). vivace serves plain routes straight from their plan; only a route whose class
overrides `get_route_handler` takes this path:

    HandlerTarget.handle: Request -> the route's handler -> Response -> send
    plan_handler(plan):   the default handler — the same stages as `handle`, but answering with a Response
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, suppress
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from vivace._core.handle import prepare, reject, validate_request
from vivace._core.plan import BodyKind, RoutePlan
from vivace._core.resolve import Context, run_steps

__all__ = ["HandlerTarget", "RouteHandler", "plan_handler"]

RouteHandler = Callable[[Request], Awaitable[Response]]

# NOTE: the handler receives only a Request, so the exit stack that outlives the response travels in the scope
_REQUEST_STACK = "vivace.request_stack"


class HandlerTarget:
    """What the compiled router calls for a route with a custom `get_route_handler()`."""

    __slots__ = ("handler", "route")

    def __init__(self, route: Any, handler: RouteHandler) -> None:
        self.route = route
        self.handler = handler

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        async with AsyncExitStack() as stack:
            scope[_REQUEST_STACK] = stack
            response = await self.handler(request)
            await response(scope, receive, send)

    def __repr__(self) -> str:
        return f"HandlerTarget({self.route!r})"


def plan_handler(plan: RoutePlan) -> RouteHandler:
    """The default route handler: run `plan` for the given Request (of any Request subclass)."""

    async def run_plan(request: Request) -> Response:
        return await respond_to(plan, request)

    return run_plan


async def respond_to(plan: RoutePlan, request: Request) -> Response:
    receive: Receive = request.receive
    if plan.body_kind is not BodyKind.none:
        # NOTE: the body comes from `request.body()`, so a Request subclass may transform it (decompress, say)
        body = await request.body()
        receive = _replay(body)
        if body and plan.body_kind is not BodyKind.form:
            _keep_json(request, body)
    ctx = Context(request.scope, receive, request._send)
    ctx._request = request  # the endpoint and dependencies see the handler's Request subclass
    errors = await validate_request(plan, ctx)
    if errors:
        await reject(plan, ctx, errors)
    if not plan.has_generators:
        return await prepare(plan, ctx, await run_steps(plan.steps, ctx))
    stack: AsyncExitStack | None = request.scope.get(_REQUEST_STACK)
    if stack is None:
        # called outside HandlerTarget (by a test, say): `yield` dependencies exit before the response is sent
        async with AsyncExitStack() as ctx.request_stack:
            return await _run_with_function_stack(plan, ctx)
    ctx.request_stack = stack
    return await _run_with_function_stack(plan, ctx)


async def _run_with_function_stack(plan: RoutePlan, ctx: Context) -> Response:
    """`scope="function"` yield dependencies exit here, before the response is sent."""
    async with AsyncExitStack() as ctx.function_stack:
        result = await run_steps(plan.steps, ctx)
        return await prepare(plan, ctx, result)


def _keep_json(request: Request, body: bytes) -> None:
    """The parsed body kept on the Request, as FastAPI's handler leaves it (`await request.json()`): wrappers read
    it after the handler (sentry-sdk attaches `request._json` to its events)."""
    # NOTE: an invalid body is answered by validation; a wrapper then finds no `_json`, as in FastAPI
    with suppress(ValueError):
        request._json = json.loads(body)


def _replay(body: bytes) -> Receive:
    """A receive channel that yields `body` once, then waits on nothing (a disconnect)."""
    messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return messages.pop() if messages else {"type": "http.disconnect"}

    return receive

"""WebSocket routes: the same extract -> validate -> resolve stages, then the endpoint owns the connection."""

from __future__ import annotations

from contextlib import AsyncExitStack

from starlette.types import Receive, Scope, Send

from vivace._core.handle import endpoint_context, validate_request
from vivace._core.plan import RoutePlan
from vivace._core.resolve import Context, run_steps
from vivace.exceptions import WebSocketRequestValidationError

__all__ = ["handle_websocket"]


async def handle_websocket(plan: RoutePlan, scope: Scope, receive: Receive, send: Send) -> None:
    ctx = Context(scope, receive, send)
    errors = await validate_request(plan, ctx)
    if errors:
        raise WebSocketRequestValidationError(errors, endpoint_ctx=endpoint_context(plan.endpoint_ctx, scope))  # type: ignore[arg-type]
    async with AsyncExitStack() as ctx.request_stack, AsyncExitStack() as ctx.function_stack:
        await run_steps(plan.steps, ctx)

"""FastAPI's per-request exit stacks in the scope: their keys, which routes get them, and closing one early.

Code that takes the connection may register its own cleanup on `scope["fastapi_function_astack"]` (exited as the
response starts), `scope["fastapi_inner_astack"]` (after the response and the background tasks) or
`scope["fastapi_middleware_astack"]` (last). The application's router puts them in the scope of the routes that
can reach it (`app.with_exit_stacks`); the `yield` runner closes the first two at the point where FastAPI exits
them, inside its own dependencies (registered later, they exit first).
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from starlette.types import Scope

from vivace._core.plan import ArgSource, RoutePlan

__all__ = ["FUNCTION_STACK_KEY", "INNER_STACK_KEY", "MIDDLEWARE_STACK_KEY", "close_now", "takes_connection", "used"]

MIDDLEWARE_STACK_KEY = "fastapi_middleware_astack"
INNER_STACK_KEY = "fastapi_inner_astack"
FUNCTION_STACK_KEY = "fastapi_function_astack"

_CONNECTIONS = frozenset({ArgSource.request, ArgSource.websocket, ArgSource.http_connection})


def takes_connection(plan: RoutePlan) -> bool:
    """Whether the endpoint or a dependency takes the connection (and so may use the scope's exit stacks); a native
    step (a memory rate limit, see DepStep.native) reads the scope alone."""
    return any(source in _CONNECTIONS for step in plan.steps if step.native is None for _, source, _ in step.args)


def used(stack: AsyncExitStack) -> bool:
    """Whether anything was registered on `stack` (`_exit_callbacks` is the stdlib's own record of it).

    PERF: an empty AsyncExitStack's exit costs ~2 us; most requests register nothing on these stacks."""
    return bool(stack._exit_callbacks)  # type: ignore[attr-defined]


async def close_now(scope: Scope, key: str) -> None:
    """Exit the scope's stack under `key` now if anything is registered on it (it stays in the scope, empty)."""
    stack = scope.get(key)
    if stack is not None and used(stack):
        await stack.aclose()

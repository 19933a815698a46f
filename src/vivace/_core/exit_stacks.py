"""FastAPI's per-request exit stacks in the scope: their keys, which routes get them, and closing one early.

Code that takes the connection may register its own cleanup on `scope["fastapi_function_astack"]` (exited as the
response starts), `scope["fastapi_inner_astack"]` (after the response and the background tasks) or
`scope["fastapi_middleware_astack"]` (last). The application's router puts them in the scope of the routes that
can reach it (`app.with_exit_stacks`); the `yield` runner closes the first two at the point where FastAPI exits
them, inside its own dependencies (registered later, they exit first).
"""

from __future__ import annotations

import inspect
from collections import deque
from contextlib import AsyncExitStack
from typing import Any

from starlette.types import Scope

from vivace._core.plan import ArgSource, RoutePlan

__all__ = [
    "FUNCTION_STACK_KEY", "INNER_STACK_KEY", "MIDDLEWARE_STACK_KEY", "RequestStack", "close_now", "takes_connection",
    "used",
]

MIDDLEWARE_STACK_KEY = "fastapi_middleware_astack"
INNER_STACK_KEY = "fastapi_inner_astack"
FUNCTION_STACK_KEY = "fastapi_function_astack"

_CONNECTIONS = frozenset({ArgSource.request, ArgSource.websocket, ArgSource.http_connection})


class RequestStack(AsyncExitStack):
    """An AsyncExitStack whose deque of callbacks is made on the first registration.

    PERF: three are made for every request of a route that takes the connection, and almost always stay empty;
    the stdlib's constructor is a Python call making a deque. Until something is registered, `_exit_callbacks`
    is the class's empty tuple (false, and nothing to exit); every registration goes through
    `_push_exit_callback`, which gives the stack its own deque first.
    """

    __init__ = object.__init__  # type: ignore[assignment]
    _exit_callbacks: Any = ()

    def _push_exit_callback(self, callback: Any, is_sync: bool = True) -> None:
        if "_exit_callbacks" not in self.__dict__:
            self._exit_callbacks = deque()
        self._exit_callbacks.append((is_sync, callback))


def takes_connection(plan: RoutePlan) -> bool:
    """Whether the endpoint or a dependency of the application's own takes the connection (and so may use the
    scope's exit stacks).

    vivace's own dependencies never use them: its security schemes take the `Request` to read credentials, and a
    native step (a memory rate limit, see DepStep.native) reads the scope alone. A subclass that overrides
    `__call__` is the application's code again.
    """
    return any(
        source in _CONNECTIONS
        for step in plan.steps if step.native is None and not _vivace_code(step.call)
        for _, source, _ in step.args
    )


def _vivace_code(call: Any) -> bool:
    """Whether `call` (a function, or an instance whose class's `__call__` runs) is defined by vivace itself."""
    call = inspect.unwrap(call)
    target = call if inspect.isfunction(call) or inspect.ismethod(call) else type(call).__call__
    module = getattr(target, "__module__", None) or ""
    return module == "vivace" or module.startswith("vivace.")


def used(stack: AsyncExitStack) -> bool:
    """Whether anything was registered on `stack` (`_exit_callbacks` is the stdlib's own record of it).

    PERF: an empty AsyncExitStack's exit costs ~2 us; most requests register nothing on these stacks."""
    return bool(stack._exit_callbacks)  # type: ignore[attr-defined]


async def close_now(scope: Scope, key: str) -> None:
    """Exit the scope's stack under `key` now if anything is registered on it (it stays in the scope, empty)."""
    stack = scope.get(key)
    if stack is not None and used(stack):
        await stack.aclose()

"""App-scoped dependencies (`Depends(..., scope="app")`): created once, shared by every request, torn down
in reverse order when the application shuts down. A vivace addition; FastAPI has no equivalent."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import anyio

__all__ = ["AppScope"]


class AppScope:
    """The values of app-scoped dependencies, keyed by the callable that made them."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}
        self._lock = anyio.Lock()
        self.stack = AsyncExitStack()

    def get(self, key: Any) -> tuple[bool, Any]:
        if key in self._values:
            return True, self._values[key]
        return False, None

    async def create(self, key: Any, make: Any) -> Any:
        """Run `make()` once for `key`, even when several requests ask at the same moment."""
        async with self._lock:
            if key not in self._values:
                self._values[key] = await make()
            return self._values[key]

    async def close(self) -> None:
        """Tear every app-scoped dependency down (yield dependencies run their exit code), newest first."""
        stack, self.stack = self.stack, AsyncExitStack()
        self._values.clear()
        await stack.aclose()

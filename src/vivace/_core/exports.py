"""The names of the ASGI entry (`app.py`) that the layers around the pipeline use; nothing else of it is theirs.

`app.py` is the pipeline's innermost ASGI app. The application builds its `CompiledRouter` (with the
`ExceptionHandlers` it holds); `@app.middleware("http")` and telemetry share two scope keys with it. They import
these names from here, never from `app.py` itself (ARCHITECTURE.md: a compatibility module reaches into `_core/`
only through names `_core` exports for it; tools/check_imports.py fails on any other module importing `app.py`),
so what `app.py` keeps to itself can change without touching them. A module of its own rather than
`_core/__init__.py`: importing one stage (`vivace._core.limits`) would otherwise load the whole pipeline.
"""

from vivace._core.app import (
    HANDLERS_KEY,
    OUTER_500_KEY,
    ROUTER_KEY,
    SERVER_ERROR_KEY,
    TELEMETRY_KEY,
    CompiledRouter,
    ExceptionHandlers,
    RouteSlot,
    guarded,
    with_exit_stacks,
    with_websocket_exit_stacks,
)

__all__ = [
    "HANDLERS_KEY",
    "OUTER_500_KEY",
    "ROUTER_KEY",
    "SERVER_ERROR_KEY",
    "TELEMETRY_KEY",
    "CompiledRouter",
    "ExceptionHandlers",
    "RouteSlot",
    "guarded",
    "with_exit_stacks",
    "with_websocket_exit_stacks",
]

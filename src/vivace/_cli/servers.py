"""Which of granian's interfaces serves an app: RSGI where it behaves as ASGI does, else ASGI.

`vivace run --server granian` (and `vivace dev`) serve an app over granian's RSGI interface (`vivace._rsgi`: the
compiled plans without an ASGI server in between) when nothing the app declared needs what RSGI cannot carry:

- user middleware (`app.add_middleware`, `@app.middleware`) is ASGI code written against ASGI servers; such an
  app is served through granian's ASGI interface, as the middleware's authors tested it;
- WebSockets: granian's RSGI closes a connection without a close code (clients see 1005, the app never learns
  the client's code) and cannot send a subprotocol, so an app with a WebSocket route (or a mounted application
  vivace cannot see into) is served through ASGI too.

`granian --interface rsgi main:app` serves any vivace app over RSGI regardless (the app class has `__rsgi__`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles

from vivace.routing import APIWebSocketRoute

__all__ = ["ASGI", "RSGI", "granian_interface"]

ASGI = "asgi"
RSGI = "rsgi"


def granian_interface(app: Any) -> tuple[str, str]:
    """The interface for `app` ("rsgi" or "asgi") and why, as the banner prints it."""
    if getattr(app, "user_middleware", None):
        return ASGI, "the app declares middleware"
    if not hasattr(app, "__rsgi__"):
        return ASGI, "not a vivace app"
    if _has_websockets(getattr(app, "routes", ())):
        return ASGI, "WebSocket routes (RSGI carries no close codes)"
    return RSGI, "native"


def _has_websockets(routes: Iterable[Any]) -> bool:
    for route in routes:
        if isinstance(route, APIWebSocketRoute | WebSocketRoute):
            return True
        if isinstance(route, Mount):
            inner = route.app
            if isinstance(inner, StaticFiles):
                continue
            nested = getattr(inner, "routes", None)
            if nested is None or _has_websockets(nested):
                return True  # NOTE: an application vivace cannot see into may take WebSockets
    return False

"""The application's telemetry runtime: what `Vivace` calls at build time and around its lifespan.

Only built when OpenTelemetry is importable and some signal is on (see `_install.py`), and for an application
without settings only once something imported OpenTelemetry (see `_dormant.py`); otherwise the application has
no telemetry object and its request path is untouched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from anyio.to_thread import run_sync
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vivace._core.plan import RoutePlan
from vivace._core.runner import Runner, tracked
from vivace.logger import logger
from vivace.middleware._stack import FastEntry
from vivace.telemetry._export import configure_from_environment, flush_owned, has_owned
from vivace.telemetry._plans import observe
from vivace.telemetry._server import ServerTelemetry
from vivace.telemetry._signals import Signals

__all__ = ["Telemetry"]

Lifespan = Callable[[Scope, Receive, Send], Awaitable[None]]
_LIFESPAN_END = frozenset({"lifespan.shutdown.complete", "lifespan.shutdown.failed", "lifespan.startup.failed"})


class Telemetry:
    """Resolved settings plus the three hooks: the server span layer, plan instrumentation, the lifespan."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.signals = Signals(config)

    def wrap(self, stack: ASGIApp) -> ASGIApp:
        """The outermost layer of the middleware stack (so user middleware is inside the SERVER span)."""
        if _has_contrib_instrumentation(stack):
            # NOTE: opentelemetry-instrumentation-fastapi already traces this app; two SERVER spans would be noise
            return stack
        return ServerTelemetry(stack, self.signals, self.config["exclude"]).__call__

    def join(self, stack: ASGIApp | None, fast: FastEntry | None) -> FastEntry | None:
        """Add the server layer to a stack built before this runtime existed (a dormant app woke up, see
        `_dormant.py`) where a build puts it, just inside `ServerErrorMiddleware`, keeping the middleware instances;
        returns the fast entry to use with the stack from now on (`quiet` still to be set by the app)."""
        if not isinstance(stack, ServerErrorMiddleware):
            return fast  # NOTE: not built yet (the build adds the layer), or replaced by someone: left alone
        inner, stack.app = stack.app, self.wrap(stack.app)
        if fast is None or fast.stack is not stack or fast.inner is not inner:
            return fast  # NOTE: a stack with user middleware, or rewrapped: requests take the whole stack anyway
        return dataclasses.replace(fast, inner=stack.app, app=self.wrap(fast.app))

    def quiet_over(self, app: ASGIApp, inner: ASGIApp) -> Callable[[], bool] | None:
        """When `app` is the layer `wrap` put around `inner`: the check that it passes a request straight through
        (no signal has a provider); else None."""
        layer = getattr(app, "__self__", None)
        if isinstance(layer, ServerTelemetry) and layer.app == inner and app == layer.__call__:
            return layer.signals.quiet
        return None

    def instrument(self, routes: list[BaseRoute], plans: dict[int, RoutePlan]) -> dict[int, Runner]:
        """Runners for observed requests: each compiled route behind an `ObservedRoute` that records spans."""
        by_id = {id(route): route for route in routes}
        return {key: tracked(observe(by_id[key], plan).handle) for key, plan in plans.items() if key in by_id}

    def lifespan(self, app_lifespan: Lifespan) -> Lifespan:
        """The app's lifespan, with exporters added at startup and vivace's own flushed at shutdown."""
        config = self.config

        async def observed(scope: Scope, receive: Receive, send: Send) -> None:
            async def starting_receive() -> Message:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    try:
                        configure_from_environment(config)
                    except Exception as exc:
                        # NOTE: optional telemetry export must never stop the application from starting
                        logger.warning("automatic telemetry configuration failed: %s", exc)
                return message

            async def flushing_send(message: Message) -> None:
                if message["type"] in _LIFESPAN_END and has_owned():
                    await run_sync(flush_owned)
                await send(message)

            await app_lifespan(scope, starting_receive, flushing_send)

        return observed


def _has_contrib_instrumentation(stack: Any) -> bool:
    """Whether OpenTelemetry's contrib ASGI middleware is somewhere in the built stack."""
    seen: set[int] = set()
    while stack is not None and id(stack) not in seen:
        seen.add(id(stack))
        cls = type(stack)
        if cls.__module__ == "opentelemetry.instrumentation.asgi" and cls.__name__ == "OpenTelemetryMiddleware":
            return True
        stack = getattr(stack, "app", None)
    return False

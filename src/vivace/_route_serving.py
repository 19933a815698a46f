"""How a route is served: by the runner compiled from its plan, or through a handler.

`route_runner` is what the application's compiled router runs for a route; `ServedAlone` is `route.app`, the
route as an ASGI app of its own. Startup code, except `ServedAlone.__call__` (routes served outside an app).
"""

from __future__ import annotations

from typing import Any

from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send

from vivace._core.compile import compile_route
from vivace._core.exit_stacks import takes_connection
from vivace._core.exports import ROUTER_KEY, with_exit_stacks, with_websocket_exit_stacks
from vivace._core.limits import LimitsLayer
from vivace._core.plan import RoutePlan
from vivace._core.route_handler import HandlerTarget
from vivace._core.runner import Runner, http_runner, tracked, websocket_runner

__all__ = ["ServedAlone", "route_runner"]


class ServedAlone:
    """`route.app`: the route as an ASGI app of its own, as in FastAPI (an `APIRouter` mounted rather than
    included serves its routes this way; so does code that calls a route directly).

    Inside an application the compiled router runs the route's plan and never calls this. The runner is built on
    first use, and again after the application recompiled the route (with dependency overrides).
    """

    __slots__ = ("_overridden", "_plan", "_route", "_runner")

    def __init__(self, route: Any) -> None:
        self._route = route
        self._overridden: tuple[Any, RoutePlan] | None = None
        self._plan: RoutePlan | None = None
        self._runner: Runner | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: Any = self._route
        compiled = scope.get(ROUTER_KEY)
        if compiled is not None:
            # NOTE: the app's router class routed the request itself (see RouterCallRouter): run the app's runner,
            # compiled with its dependency overrides and router middleware
            target = compiled.target_for(route, scope)
            if target is not None:
                scope["route"] = route
                await target(scope, receive, send)
                return
        plan = self._plan_of(route)
        runner = self._runner
        if runner is None or plan is not self._plan:
            runner = self._runner = self._build(route, plan)
            self._plan = plan
        scope["route"] = route
        await runner(scope, receive, send)

    def _plan_of(self, route: Any) -> RoutePlan:
        """The route's plan; compiled again with the dependency overrides of its `dependency_overrides_provider`
        while it has some (FastAPI reads them on every request), once per change of them."""
        plan: RoutePlan = getattr(route, "served_plan", None) or route.plan  # NOTE: a WebSocket route has none
        provider = getattr(route, "dependency_overrides_provider", None)
        overrides = getattr(provider, "dependency_overrides", None)
        if not overrides:
            return plan
        key = (plan, tuple(overrides.items()))
        done = self._overridden
        if done is None or done[0] != key:
            done = self._overridden = (key, compile_route(route, route.analyse(dict(overrides))))
        return done[1]

    @staticmethod
    def _build(route: Any, plan: RoutePlan) -> Runner:
        runner = route_runner(route, plan)
        if isinstance(route, WebSocketRoute) or route.max_body_size is None:
            return runner
        # NOTE: on its own, nothing else would answer the 413 of a body the endpoint reads itself
        return LimitsLayer(runner, route.max_body_size)


def route_runner(route: Any, plan: RoutePlan) -> Runner:
    """What answers `route`'s requests with `plan`: its WebSocket session, its class's own route handler, or the
    runner compiled from the plan."""
    if isinstance(route, WebSocketRoute):
        return with_websocket_exit_stacks(websocket_runner(plan)) if takes_connection(plan) else websocket_runner(plan)
    if route.has_custom_handler or takes_connection(plan):
        return with_exit_stacks(_http_runner(route, plan))
    return http_runner(plan)


def _http_runner(route: Any, plan: RoutePlan) -> Runner:
    if route.has_custom_handler:
        user_app = route._user_app
        if user_app is not None:
            return tracked(user_app)  # NOTE: a library set `route.app`: serve what it set, as Starlette would
        # NOTE: a route class may also serve its plan without the Request path (vivace.versioning's routes)
        serve_plan = getattr(route, "serve_plan", None)
        runner = serve_plan(plan) if serve_plan is not None else None
        return runner or tracked(HandlerTarget(route, route.get_route_handler()).handle)
    return http_runner(plan)

"""Routes compiled on their first request, not when the application builds its router.

A route is analysed and checked where it is declared (vivace/_route_plans.py), so a route that cannot work still
fails there; compiling its plan (validators, dependency steps, serializer) and building its runner wait until a
request needs them. Until then the compiled router holds a `FirstUse` in the route's place: its first call
compiles, puts the runner in its place (`CompiledRouter.replace_target`) and runs it, so later requests run the
runner itself, exactly as if it had been built with the router.

With telemetry, the route's observed runner (used for the requests the telemetry layer observes) waits the same
way. Compiled with the router instead: every route while dependency overrides are set, routes served through
their own handler, routes using an app-scoped dependency (created at startup), and routes whose runner
router-scoped middleware or exception handlers wrap (the wrapper would keep calling the stand-in).

Startup code, except `FirstUse.__call__`, which runs once per route (twice at worst: two threads' first requests
may both compile; each serves its own, equivalent, runner).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.types import Receive, Scope, Send

from vivace._core.runner import Runner
from vivace._route_serving import route_runner

__all__ = ["FirstUse", "FirstUses"]


class _Router(Protocol):
    observed: dict[int, Runner] | None

    def replace_target(self, route: object, old: Runner, new: Runner) -> None: ...


class FirstUse:
    """A route's place in the compiled router until its first request (module docstring)."""

    __slots__ = ("_build", "_place", "runner")

    def __init__(self, build: Callable[[], Runner]) -> None:
        self._build = build
        self._place: Callable[[FirstUse, Runner], None] | None = None
        self.runner: Runner | None = None

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # PERF: returns the runner's coroutine: after the first call (if anything still holds this object) it
        # costs one call, no frame of its own
        runner = self.runner
        if runner is None:
            runner = self.ready()
        return runner(scope, receive, send)

    def ready(self) -> Runner:
        """The route's runner, built now (its plan compiled) if not yet, and put in this object's place."""
        runner = self.runner
        if runner is None:
            runner = self.runner = self._build()
        place = self._place
        if place is not None:
            place(self, runner)
        return runner


class FirstUses:
    """The routes of one compilation of the application's router that wait for their first request: their
    runners, and with telemetry their observed runners, built on first use."""

    def __init__(self, telemetry: Any) -> None:
        self._telemetry = telemetry
        self._routes: dict[int, Any] = {}
        self._plain: dict[int, FirstUse] = {}
        self._observed: dict[int, FirstUse] = {}

    @staticmethod
    def admits(route: Any) -> bool:
        """True when `route` can wait: served straight from its plan, with no app-scoped dependency."""
        return not getattr(route, "has_custom_handler", False) and not route.uses_app_scope

    def add(self, route: Any) -> FirstUse:
        """The stand-in for `route`'s runner."""
        key = id(route)
        self._routes[key] = route
        waiting = self._plain[key] = FirstUse(lambda: route_runner(route, route.plan))
        return waiting

    def observe(self, observed: dict[int, Runner]) -> None:
        """Add to `observed` (the telemetry runners) a stand-in for each waiting route's."""
        for key, route in self._routes.items():
            observed[key] = self._observed[key] = FirstUse(functools.partial(self._observed_runner, route))

    def _observed_runner(self, route: Any) -> Runner:
        key = id(route)
        return self._telemetry.instrument([route], {key: route.plan})[key]  # type: ignore[no-any-return]

    def compile_wrapped(
        self, targets: dict[int, Runner], unwrapped: dict[int, Runner], observed: dict[int, Runner] | None
    ) -> bool:
        """Build now the runners of the routes whose entry in `targets` is no longer their stand-in (router-scoped
        middleware or handlers wrapped it): in `unwrapped` and `observed`, the entries as they were before wrapping.
        True if there were any: the caller wraps those entries again."""
        wrapped = [key for key, waiting in self._plain.items() if targets[key] is not waiting]
        for key in wrapped:
            del self._routes[key]
            unwrapped[key] = self._plain.pop(key).ready()
            if observed is not None:
                observed[key] = self._observed.pop(key).ready()
        return bool(wrapped)

    def bind(self, router: _Router) -> None:
        """The compiled router the waiting routes put their runners in."""
        for key, waiting in self._plain.items():
            waiting._place = functools.partial(_replace_target, router, self._routes[key])
        for key, waiting in self._observed.items():
            waiting._place = functools.partial(_replace_observed, router, key)


def _replace_target(router: _Router, route: Any, old: Runner, new: Runner) -> None:
    router.replace_target(route, old, new)


def _replace_observed(router: _Router, key: int, old: Runner, new: Runner) -> None:
    observed = router.observed
    if observed is not None and observed.get(key) is old:
        observed[key] = new

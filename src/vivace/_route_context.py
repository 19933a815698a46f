"""`RouteContext`: a route as tools that walk an application's routes see it (OpenAPI generators, CLIs).

FastAPI 0.165 resolves included routers lazily and hands such tools a context per effective route. vivace's
`include_router` copies routes into the including router (also those added later), so every route already is
its effective self and a context simply wraps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.routing import BaseRoute, Match, Route, WebSocketRoute
from starlette.types import Scope

__all__ = ["RouteContext", "iter_route_contexts"]


@dataclass(frozen=True)
class RouteContext:
    """One route of an application, with the attributes tools read most, and any other by delegation."""

    route: BaseRoute

    @property
    def original_route(self) -> BaseRoute:
        return self.route

    @property
    def path(self) -> str | None:
        return getattr(self.route, "path", None)

    @property
    def path_format(self) -> str | None:
        return getattr(self.route, "path_format", None)

    @property
    def name(self) -> str | None:
        return getattr(self.route, "name", None)

    @property
    def methods(self) -> set[str] | None:
        return getattr(self.route, "methods", None)

    @property
    def endpoint(self) -> Callable[..., Any] | None:
        return getattr(self.route, "endpoint", None)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """The route's match; a route `include_router` copied matches by its path and methods only, as FastAPI
        0.165 matches an inclusion's effective route (a route class's own `matches` is not consulted)."""
        route = self.route
        if getattr(route, "_source", None) is not None:
            if isinstance(route, Route):
                return Route.matches(route, scope)
            if isinstance(route, WebSocketRoute):
                return WebSocketRoute.matches(route, scope)
        return route.matches(scope)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.route, name)


def iter_route_contexts(routes: Sequence[BaseRoute | RouteContext]) -> Iterator[RouteContext]:
    """A context for each route, in order; contexts passed in are yielded as they are."""
    for route in routes:
        yield route if isinstance(route, RouteContext) else RouteContext(route)

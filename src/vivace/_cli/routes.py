"""`vivace routes`: the route table, and with `--plans` the compiled RoutePlan of every API route."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Host, Mount, Route, WebSocketRoute

from vivace._cli.describe import callable_name, type_name
from vivace._core.runner import describe
from vivace._core.signature import Dependant
from vivace._router_scope import describe_scope
from vivace.applications import Vivace
from vivace.routing import APIRoute, APIWebSocketRoute

__all__ = ["HEADERS", "plans_text", "render_table", "route_rows", "routes_text"]

HEADERS = ("METHODS", "PATH", "NAME", "DEPENDENCIES", "RESPONSE MODEL")
_EMPTY = "-"


def _dependency_names(nodes: Sequence[Dependant]) -> str:
    """`get_db, get_user`: the route's direct dependencies, each once (`--plans` shows the whole graph).

    NOTE: nested dependencies are left out on purpose: in a real app (a session inside a user inside an
    ownership check) the full tree makes a row hundreds of characters wide.
    """
    return ", ".join(dict.fromkeys(callable_name(node.call) for node in nodes))


def _methods(route: BaseRoute) -> str:
    if isinstance(route, APIWebSocketRoute | WebSocketRoute):
        return "WS"
    if isinstance(route, Route):
        methods = route.methods or set()
        if "GET" in methods and not isinstance(route, APIRoute):
            methods = methods - {"HEAD"}  # Starlette adds HEAD to every GET route; it is noise here
        return ",".join(sorted(methods)) or _EMPTY
    return "*"


def _row(route: BaseRoute) -> tuple[str, str, str, str, str]:
    path = str(getattr(route, "path", ""))
    if isinstance(route, Mount):
        path = path.rstrip("/") + "/*"
    elif isinstance(route, Host):
        path = f"host {route.host}"
    name = str(getattr(route, "name", None) or _EMPTY)
    dependant = getattr(route, "dependant", None)
    deps = _dependency_names(dependant.dependencies) if isinstance(dependant, Dependant) else ""
    model = getattr(route, "response_model", None)
    return (_methods(route), path or "/", name, deps or _EMPTY, type_name(model) if model is not None else _EMPTY)


def route_rows(app: Vivace) -> list[tuple[str, str, str, str, str]]:
    """One row per route, in declaration order (the order requests are matched in)."""
    return [_row(route) for route in app.routes]


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = [headers, ["-" * width for width in widths], *rows]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
                     for line in lines)


def routes_text(app: Vivace) -> str:
    return render_table(HEADERS, route_rows(app))


def plans_text(app: Vivace) -> str:
    """Every API route's RoutePlan repr: what each request to that route will do, decided at declaration."""
    # NOTE: the runner line goes inside the plan's parentheses: `RoutePlan(... response: ...)` ends with ")"
    blocks = [
        f"{repr(route.plan)[:-1]}\n  served by: {_served_by(route)}{_scope_line(route, app)})"
        for route in app.routes
        if isinstance(route, APIRoute | APIWebSocketRoute)
    ]
    return "\n\n".join(blocks) if blocks else "(no API routes)"


def _scope_line(route: APIRoute | APIWebSocketRoute, app: Vivace) -> str:
    """What the route's routers add (handlers, middleware, problem details), as one more line, if anything."""
    scope = describe_scope(route, app.problem_details)
    return "" if scope is None else f"\n  router scope: {scope}"


def _served_by(route: APIRoute | APIWebSocketRoute) -> str:
    if isinstance(route, APIWebSocketRoute):
        return "websocket session"
    if route.has_custom_handler:
        return f"the route class's get_route_handler() ({type(route).__name__})"
    return describe(route.plan)

"""Stage 2½, match: find the route for a request, with Starlette's ordering rules and O(1) static paths.

Starlette (and so FastAPI) scans routes in declaration order: the first route matching path and method wins;
failing that, the first route matching the path alone answers 405 with its `Allow` header. vivace keeps exactly
those semantics, but answers a static path from a dict whenever no earlier dynamic route could have matched it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.convertors import FloatConvertor, IntegerConvertor, StringConvertor, UUIDConvertor
from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.types import Scope

from vivace._core.runner import routing_unread

__all__ = ["Found", "Matcher", "route_path"]


def route_path(scope: Scope) -> str:
    """The path the router matches: `scope["path"]` without the `root_path` a proxy or mount put in front."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path):] if path[len(root_path)] == "/" else path


@dataclass(frozen=True, slots=True)
class Found:
    """A match: `target` is a RoutePlan (compiled API route) or a Starlette route to hand the request to."""

    route: BaseRoute
    target: Any
    child_scope: Mapping[str, Any] | None  # None: a static path (the caller sets empty path params)
    full: bool
    endpoint: Any = None  # the route's endpoint, for scope["endpoint"]
    #: whether `target` reads no routing key on a successful request (runner.routing_unread): the application may
    #: leave them out of the scope until an exception (or a returned Response) needs them. PERF: a class attribute
    #: (`UnreadFound`), not a field: a field costs every dynamic match's construction (/items/3: +1.5k)
    unread: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class UnreadFound(Found):
    """A static path's match whose target reads no routing key."""

    unread: ClassVar[bool] = True


def _static_entry(found: Found) -> Found:
    """`found` as a static table entry: an `UnreadFound` when its target reads no routing key."""
    cls = UnreadFound if routing_unread(found.target) else Found
    return cls(found.route, found.target, found.child_scope, found.full, found.endpoint)


def _plain_matching(route: BaseRoute) -> bool:
    """Whether the route matches as Starlette's own classes do; a subclass overriding `matches` (to add to the
    child scope, say) is asked through `route.matches()` on every request instead."""
    return type(route).matches in (Route.matches, WebSocketRoute.matches)


def _is_static(route: BaseRoute) -> bool:
    return isinstance(route, Route | WebSocketRoute) and not route.param_convertors and _plain_matching(route)


#: where a declared route keeps the path its `path_regex` is still to be compiled from (vivace/_route_path.py)
PENDING_PATH = "_vivace_pending_path"
#: Starlette's convertors whose pattern matches one whole, non-empty segment (no "/")
_SEGMENT_CONVERTORS = (StringConvertor, IntegerConvertor, FloatConvertor, UUIDConvertor)


def _segments_differ(template: str, path: str, convertors: Mapping[str, Any]) -> bool:
    """True when `path` cannot match the route template: another number of segments, a differing literal segment
    or an empty one where a parameter is. False when unsure (a parameter inside a segment, a `path` convertor)."""
    wanted, given = template.split("/"), path.split("/")
    if len(wanted) != len(given):
        return all(_segment_kind(part, convertors) is not None for part in wanted)
    for part, text in zip(wanted, given, strict=True):
        kind = _segment_kind(part, convertors)
        if kind is None:
            return False
        if (part != text) if kind is True else not text:
            return True
    return False


def _segment_kind(part: str, convertors: Mapping[str, Any]) -> bool | None:
    """For one segment of a template: True for literal text, False for a one-segment parameter, None otherwise."""
    if "{" not in part and "}" not in part:
        return True
    if part[:1] == "{" and part[-1:] == "}" and part.count("{") == 1:
        name = part[1:-1].partition(":")[0]
        return False if type(convertors.get(name)) in _SEGMENT_CONVERTORS else None
    return None


def _literal_prefix(route: BaseRoute) -> str | None:
    if not isinstance(route, Route) or not _plain_matching(route):
        return None
    return route.path.split("{", 1)[0]


class Matcher:
    """Built once from the route list and the compiled plans; `match` is the per-request part."""

    def __init__(self, routes: list[BaseRoute], targets: dict[int, Any]) -> None:
        self._routes = routes
        self._targets = targets
        # path -> {method: (route, target)}; only for static paths no earlier dynamic route can shadow
        self._static: dict[str, dict[str, Found]] = {}
        self._build_static_table()
        #: the same table, read by the compiled router's inlined lookup (CompiledRouter.http_target)
        self.static = self._static
        # (route, its path when static, the literal text before its first parameter) for the ordered scan;
        # the prefix is None for routes that are not plain HTTP routes and must use route.matches()
        self._scan_entries = [
            (route, getattr(route, "path", None) if _is_static(route) else None, _literal_prefix(route))
            for route in self._routes
        ]

    def _build_static_table(self) -> None:
        # (an earlier dynamic route, the literal text any path it matches starts with, if known)
        shadowing: list[tuple[BaseRoute, str | None]] = []
        for route in self._routes:
            if not isinstance(route, Route):
                if not _is_static(route):
                    shadowing.append((route, _literal_prefix(route)))
                continue
            if not _is_static(route):
                shadowing.append((route, _literal_prefix(route)))
                continue
            # PERF: the literal prefix rules out most earlier routes before their regex runs (the table is built
            # on the first request: 200 routes in 25 routers asked 4,700 regexes, now 125)
            path = route.path
            if any(
                (prefix is None or path.startswith(prefix)) and self._could_match(earlier, path)
                for earlier, prefix in shadowing
            ):
                continue
            methods = self._static.setdefault(route.path, {})
            for method in route.methods or ():
                methods.setdefault(method, _static_entry(self._found(route, None, True)))

    @staticmethod
    def _could_match(route: BaseRoute, path: str) -> bool:
        if isinstance(route, Route | WebSocketRoute):
            state = route.__dict__  # NOTE: a pattern a library assigned is in `state`: it is the one that matches
            pending = None if "path_regex" in state else state.get(PENDING_PATH)
            if isinstance(pending, str) and _segments_differ(pending, path, route.param_convertors):
                return False  # PERF: ruled out without compiling the route's pattern (it compiles on first read)
            return route.path_regex.match(path) is not None
        if isinstance(route, Mount):
            return path.startswith(route.path.rstrip("/") + "/") or path == route.path
        return True  # an unknown route kind may match anything: fall back to the ordered scan

    def _found(self, route: BaseRoute, child_scope: Mapping[str, Any] | None, full: bool) -> Found:
        return Found(route, self._targets.get(id(route), route), child_scope, full, getattr(route, "endpoint", None))

    def replace_target(self, key: int, old: Any, new: Any) -> None:
        """Put `new` wherever `old` is the target of the route with id `key` (a route compiled on first use)."""
        if self._targets.get(key) is old:
            self._targets[key] = new
        for methods in self._static.values():
            for method, found in methods.items():
                if found.target is old:
                    methods[method] = _static_entry(dataclasses.replace(found, target=new))

    def match_http(self, scope: Scope) -> Found | None:
        path = route_path(scope) if scope.get("root_path") else scope["path"]
        entry = self._static.get(path)
        if entry is not None:
            hit = entry.get(scope["method"])
            if hit is not None:
                # PERF: a static path answers from the dict, with no regex and no allocation.
                return hit
        return self.scan(scope, path)

    def scan(self, scope: Scope, path: str | None = None) -> Found | None:
        """The ordered scan: first full match, else the first partial match (405)."""
        partial: Found | None = None
        for route, static_path, prefix in self._scan_entries:
            if path is not None and prefix is not None:
                # PERF: a string comparison rejects most routes before any regex runs
                if static_path is not None:
                    if path != static_path:
                        continue
                elif not path.startswith(prefix):
                    continue
                found = self._match_route(route, scope, path)  # type: ignore[arg-type]  # prefix implies Route
            else:
                kind, child = route.matches(scope)
                found = None if kind is Match.NONE else self._found(route, child, kind is Match.FULL)
            if found is None:
                continue
            if found.full:
                return found
            if partial is None:
                partial = found
        return partial

    def _match_route(self, route: Route, scope: Scope, path: str) -> Found | None:
        matched = route.path_regex.match(path)
        if matched is None:
            return None
        params = matched.groupdict()
        for key, value in params.items():
            params[key] = route.param_convertors[key].convert(value)
        full = not route.methods or scope["method"] in route.methods
        return self._found(route, {"path_params": params}, full)

    def match_websocket(self, scope: Scope) -> Found | None:
        for route in self._routes:
            kind, child = route.matches(scope)
            if kind is Match.FULL:
                return self._found(route, child, True)
        return None

    def redirect_target(self, scope: Scope) -> str | None:
        """The alternative path (slash added or removed) when it would match, for the slash redirect."""
        path = route_path(scope)
        if path == "/":
            return None
        alternative = path.rstrip("/") if path.endswith("/") else path + "/"
        probe = {**scope, "path": scope["path"][: len(scope["path"]) - len(path)] + alternative}
        return alternative if self.scan(probe, alternative) is not None else None

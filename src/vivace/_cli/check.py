"""`vivace check`: static checks over an app's routes, each finding with `file:line` and a fix hint.

Nothing here sends a request: the checks read the analysed routes (`route.dependant`), the route table, and the
source of `async def` functions.
"""

from __future__ import annotations

import inspect
import re
import traceback
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from starlette.routing import BaseRoute, Mount, Route

from vivace._cli.blocking import Scanner
from vivace._cli.describe import callable_name, source_location, type_name
from vivace._cli.discover import LoadedApp, display_path
from vivace._cli.errors import UserCodeError, is_framework_frame
from vivace._core.compile import is_async_callable, is_async_gen_callable
from vivace._core.signature import Dependant
from vivace.exceptions import FastAPIError
from vivace.routing import APIRoute, APIWebSocketRoute

__all__ = ["Finding", "declaration_finding", "run_checks"]


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str

    def format(self) -> str:
        """`file:line: [code] message` and the hint on the next line (editors jump to `file:line`)."""
        return f"{self.file}:{self.line}: [{self.code}] {self.message}\n    hint: {self.hint}"


def _at(call: Any, code: str, message: str, hint: str) -> Finding:
    """A finding located at the definition (first decorator line) of `call`."""
    file, line = source_location(call)
    return Finding(file, line, 1, code, message, hint)


def _label(route: BaseRoute) -> str:
    """`GET,POST /items`, `WEBSOCKET /feed`, `the mount at /static`: a route as the messages name it."""
    if isinstance(route, Mount):
        return f"the mount at {route.path or '/'}"
    methods = getattr(route, "methods", None) or {"WEBSOCKET"}
    shown = sorted(methods - {"HEAD"}) if methods != {"HEAD"} else ["HEAD"]
    return f"{','.join(shown)} {getattr(route, 'path', '?')}"


def _api_routes(routes: Sequence[BaseRoute]) -> list[APIRoute | APIWebSocketRoute]:
    return [route for route in routes if isinstance(route, APIRoute | APIWebSocketRoute)]


# -- blocking calls in async code ---------------------------------------------------------------------------


def _async_function(call: Any) -> Any:
    """The function whose body runs on the event loop when vivace calls `call`, or None for sync callables."""
    if inspect.isclass(call) or not (is_async_callable(call) or is_async_gen_callable(call)):
        return None
    return call if inspect.isroutine(call) else type(call).__call__


def check_blocking(routes: Sequence[BaseRoute], scanner: Scanner) -> Iterator[Finding]:
    for route in _api_routes(routes):
        for node in route.dependant.walk():
            function = _async_function(node.call)
            if function is None:
                continue
            kind = "endpoint" if node is route.dependant else "dependency"
            name = callable_name(node.call)
            for found in scanner.scan(function):
                chain = f" (through {' -> '.join(f'{step}()' for step in found.via)})" if found.via else ""
                other = (
                    f"run `{found.via[0]}()` with `await anyio.to_thread.run_sync(...)`"
                    if found.via
                    else f"declare `{name}` with `def` instead of `async def` so it runs in the thread pool"
                )
                yield Finding(
                    display_path(found.file), found.line, found.column, "blocking-call",
                    f"`{found.written}()` blocks the event loop in async {kind} `{name}`{chain}, used by "
                    f"{_label(route)}",
                    f"{found.hint}; or {other}",
                )


# -- the route table ------------------------------------------------------------------------------------------


def check_operation_ids(routes: Sequence[BaseRoute]) -> Iterator[Finding]:
    """Operation ids must be unique in the OpenAPI document (generated clients name functions after them)."""
    owners: dict[str, str] = {}
    for route in routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        operation_id = route.operation_id or route.unique_id
        for method in sorted(route.methods):
            previous = owners.setdefault(operation_id, f"{method} {route.path}")
            if previous == f"{method} {route.path}":
                continue
            yield _at(
                route.endpoint, "duplicate-operation-id",
                f"operation id {operation_id!r} of {method} {route.path} is already used by {previous}",
                "set a unique `operation_id=` on the route, or pass `generate_unique_id_function=` to the app or "
                "router (a route with several methods shares one id: declare one route per method)",
            )


_PARAM = re.compile(r"\{\w+(?::(\w+))?\}")


def _segment_kind(segment: str) -> str | None:
    """The convertor of a segment that is exactly one parameter (`str` by default), None for literal text."""
    found = _PARAM.fullmatch(segment)
    return (found.group(1) or "str") if found else None


def _pattern_covers(earlier: str, later: str) -> bool:
    """Does the earlier path match every path the later one matches? Decided segment by segment, conservatively:
    equal literals; a `{str}` segment covers any one segment (literal or parameter); `{x:path}` covers the rest."""
    mine, theirs = earlier.split("/"), later.split("/")
    for index, segment in enumerate(mine):
        kind = _segment_kind(segment)
        if kind == "path" and index == len(mine) - 1:
            return len(theirs) >= len(mine)
        if index >= len(theirs):
            return False
        other = theirs[index]
        other_kind = _segment_kind(other)
        if segment == other or (kind == "str" and other_kind != "path") or (kind and kind == other_kind):
            continue
        return False
    return len(mine) == len(theirs)


def _shadows(earlier: BaseRoute, route: Route) -> set[str]:
    """The methods of `route` that `earlier` answers first (both are matched in declaration order)."""
    methods = route.methods or set()
    if isinstance(earlier, Mount):
        prefix = earlier.path.rstrip("/")
        return methods if route.path == prefix or route.path.startswith(prefix + "/") else set()
    if not isinstance(earlier, Route):
        return set()
    if route.param_convertors:
        covered = _pattern_covers(earlier.path, route.path)
    else:
        covered = earlier.path_regex.match(route.path) is not None
    return methods & (earlier.methods or set()) if covered else set()


def _where(route: BaseRoute) -> str:
    if isinstance(route, Mount):
        return ""
    file, line = source_location(route.endpoint) if isinstance(route, Route) else ("<unknown>", 0)
    return " (added by the app itself)" if is_framework_frame(file) else f" ({file}:{line})"


def check_shadowing(routes: Sequence[BaseRoute]) -> Iterator[Finding]:
    """A path declared after a pattern that already matches it is never reached for those methods."""
    for index, route in enumerate(routes):
        if not isinstance(route, Route):
            continue
        for earlier in routes[:index]:
            overlap = _shadows(earlier, route)
            methods = overlap - {"HEAD"} or overlap
            if not methods:
                continue
            yield _at(
                route.endpoint, "shadowed-route",
                f"{','.join(sorted(methods))} {route.path} is never reached: {_label(earlier)}{_where(earlier)} "
                "is declared earlier and matches it first",
                f"declare {route.path} before {getattr(earlier, 'path', 'it')}, or narrow the earlier pattern "
                "(a convertor such as `{item_id:int}`)",
            )
            break


def _path_fields(dependant: Dependant) -> set[str]:
    return {name for node in dependant.walk() for p in node.path_params for name in (p.name, p.alias)}


def check_path_params(routes: Sequence[BaseRoute]) -> Iterator[Finding]:
    """Every `{name}` in the path is a parameter of the endpoint or a dependency, and every `Path()` is in it."""
    for route in _api_routes(routes):
        in_path = set(route.param_convertors)
        declared = _path_fields(route.dependant)
        endpoint = callable_name(route.endpoint)
        for name in sorted(in_path - declared):
            yield _at(
                route.endpoint, "path-param-missing",
                f"path parameter {{{name}}} of {_label(route)} is not a parameter of `{endpoint}` or its dependencies",
                f"add `{name}: str` (with the right type) to `{endpoint}`'s parameters",
            )
        for node in route.dependant.walk():
            for field in node.path_params:
                if field.name not in in_path and field.alias not in in_path:
                    yield _at(
                        node.call, "path-param-unknown",
                        f"`{field.name}` of `{callable_name(node.call)}` is declared with Path(), but {route.path} "
                        f"has no {{{field.alias}}}; every request would fail with 422",
                        f"add {{{field.alias}}} to the path, or read the value with Query() instead",
                    )


def _unserializable(schema: Any, seen: set[int]) -> str | None:
    """The first class in a core schema that Pydantic accepts (arbitrary types) but has no JSON serializer for."""
    if isinstance(schema, list | tuple):
        return next((found for item in schema if (found := _unserializable(item, seen)) is not None), None)
    if not isinstance(schema, dict) or id(schema) in seen or "serialization" in schema:
        return None  # NOTE: a custom serializer (field_serializer, PlainSerializer...) handles what is below it
    seen.add(id(schema))
    if schema.get("type") in ("is-instance", "is-subclass", "callable"):
        return type_name(schema.get("cls", "callable"))
    return _unserializable(list(schema.values()), seen)


def _model_problem(model: Any) -> str | None:
    """Why `model` fails as a response model at request time (serialization) or on /docs (JSON Schema)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            adapter = TypeAdapter(model)
    except Exception as exc:  # Pydantic raises several error kinds for a type it cannot handle
        return f"Pydantic cannot build it: {str(exc).splitlines()[0]}"
    culprit = _unserializable(adapter.core_schema, set())
    if culprit is not None:
        return f"{culprit} has no JSON serializer, so every response fails with a 500"
    try:
        adapter.json_schema(mode="serialization")
    except Exception as exc:  # PydanticInvalidForJsonSchema and friends: the OpenAPI document cannot be built
        return f"it has no JSON Schema, so /openapi.json and /docs fail: {str(exc).splitlines()[0]}"
    return None


_MODEL_HINT = (
    "use a Pydantic model, dataclass, TypedDict or standard type (or add a serializer such as "
    "`@field_serializer`); for a return annotation that is not meant as a response model, set `response_model=None`"
)


def check_response_models(routes: Sequence[BaseRoute]) -> Iterator[Finding]:
    for route in routes:
        if not isinstance(route, APIRoute) or route.response_model is None:
            continue
        model = route.response_model
        problem = _model_problem(model)
        if problem is not None:
            yield _at(
                route.endpoint, "response-model",
                f"the response model {type_name(model)} of {_label(route)} cannot be serialized: {problem}",
                _MODEL_HINT,
            )


def run_checks(loaded: LoadedApp) -> list[Finding]:
    """Every finding for the app, sorted by location; a location reported by several routes appears once."""
    routes = loaded.app.routes
    scanner = Scanner(loaded.location.root)
    findings: dict[tuple[str, int, int, str], Finding] = {}
    for finding in (
        *check_blocking(routes, scanner), *check_operation_ids(routes), *check_shadowing(routes),
        *check_path_params(routes), *check_response_models(routes),
    ):
        findings.setdefault((finding.file, finding.line, finding.column, finding.code), finding)
    return sorted(findings.values())


def declaration_finding(error: UserCodeError) -> Finding | None:
    """An invalid declaration stops the import (vivace validates routes as they are declared); report it at
    the user's line like any other finding. Other import errors are not findings: they are shown as they are."""
    exc = error.exc
    if not isinstance(exc, FastAPIError):
        return None
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not is_framework_frame(f.filename)]
    if not frames:
        return None
    frame = frames[-1]
    file, line, column = display_path(frame.filename), frame.lineno or 0, (frame.colno or 0) + 1
    if "response field" in str(exc):
        cause = str(exc.__cause__).splitlines()[0] if exc.__cause__ else "Pydantic cannot handle the type"
        return Finding(file, line, column, "response-model", f"the response model cannot be serialized: {cause}",
                       _MODEL_HINT)
    return Finding(file, line, column, "invalid-declaration", str(exc).splitlines()[0],
                   "fix this declaration: the app cannot be imported until it is valid")

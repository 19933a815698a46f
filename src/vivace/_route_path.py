"""A route's path template read at declaration, its regular expression compiled when first matched.

Starlette's `compile_path` gives a route its `path_regex`, `path_format` and `param_convertors` at once. vivace
reads the template itself at declaration (the format, the convertors, and the same errors for an unknown
convertor or a repeated parameter name) and compiles the pattern on the first read of `route.path_regex`.

PERF: the routes a router declares are copied by `include_router` and never matched themselves, and the compiled
router answers static paths from a dict: compiling every pattern at declaration cost 125 `re.compile` calls
building bench/startup_app.py; most of them now never run.
"""

from __future__ import annotations

from typing import Any

from starlette.convertors import CONVERTOR_TYPES, Convertor
from starlette.routing import PARAM_REGEX, compile_path

__all__ = ["LazyPathRegex", "LazyPathRoute", "read_path"]

#: where a route keeps the path its pattern is still to be compiled from (the compiled router's static table reads
#: it too: vivace/_core/match.py rules routes out by their segments without compiling their pattern)
_PENDING = "_vivace_pending_path"


def read_path(route: Any, path: str) -> tuple[str, dict[str, Convertor[Any]]]:
    """`path`'s format and convertors, as `compile_path` gives them; the pattern is compiled on first use.

    A host path (not starting with "/") goes through `compile_path` at once: its format keeps the port rules.
    """
    if not path.startswith("/"):
        route.path_regex, path_format, compiled_convertors = compile_path(path)
        return path_format, compiled_convertors
    convertors: dict[str, Convertor[Any]] = {}
    pieces: list[str] = []
    end = 0
    for found in PARAM_REGEX.finditer(path):
        name, kind = found.group(1), (found.group(2) or ":str").lstrip(":")
        if kind not in CONVERTOR_TYPES or name in convertors:
            compile_path(path)  # NOTE: raises Starlette's own error for an unknown convertor or a repeated name
        convertors[name] = CONVERTOR_TYPES[kind]
        pieces += (path[end : found.start()], "{", name, "}")
        end = found.end()
    pieces.append(path[end:])
    route.__dict__.pop("path_regex", None)  # NOTE: a route built again (a subclass calling __init__ twice)
    route.__dict__[_PENDING] = path
    return "".join(pieces), convertors


class LazyPathRegex:
    """`route.path_regex`: compiled from the declared path on first read, then an ordinary attribute.

    No `__set__`: an assignment (a library setting its own pattern) goes to the instance and wins.
    """

    def __get__(self, route: Any, owner: type | None = None) -> Any:
        if route is None:
            return self
        state = route.__dict__
        path = state.pop(_PENDING, None)
        if path is None:
            raise AttributeError("path_regex")
        regex = state["path_regex"] = compile_path(path)[0]
        return regex


class LazyPathRoute:
    """The mixin that gives a route class the lazily compiled `path_regex` (its constructor calls `read_path`)."""

    path_regex = LazyPathRegex()

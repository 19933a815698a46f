"""Argument builders: for each dependency step, one generated function that gathers its keyword arguments.

PERF: a generic loop over a step's argument sources costs a branch per argument on every request; the generated
function is a single dict display (`{"user": results[1], "q": values["v2"]}`), about three times faster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from vivace._core.plan import ArgSource

__all__ = ["ArgumentBuilder", "build_arguments"]

ArgumentBuilder = Callable[[Any], dict[str, Any]]  # Context -> keyword arguments

# What each special source reads on the request's Context (its properties create objects lazily).
_SPECIAL_EXPRESSIONS = {
    ArgSource.request: "ctx.request",
    ArgSource.websocket: "ctx.request",
    ArgSource.http_connection: "ctx.request",
    ArgSource.response: "ctx.response",
    ArgSource.background_tasks: "ctx.background",
}


def build_arguments(args: Sequence[tuple[str, ArgSource, Any]]) -> ArgumentBuilder:
    """A function of the request Context returning the keyword arguments described by `args`."""
    if not args:
        return _no_arguments
    constants: dict[str, Any] = {}
    entries = []
    for index, (name, source, key) in enumerate(args):
        if source is ArgSource.value:
            expression = f"values[{key!r}]"
        elif source is ArgSource.step:
            expression = f"results[{int(key)}]"
        elif source is ArgSource.constant:
            constant = f"_constant{index}"
            constants[constant] = key
            expression = constant
        else:
            expression = _SPECIAL_EXPRESSIONS[source]
        entries.append(f"{name!r}: {expression}")
    # NOTE: names and value keys come from Python identifiers and compile-time keys, and are embedded with repr()
    source_code = (
        "def arguments(ctx):\n"
        "    values = ctx.values\n"
        "    results = ctx.results\n"
        f"    return {{{', '.join(entries)}}}\n"
    )
    namespace: dict[str, Any] = dict(constants)
    exec(compile(source_code, "<vivace arguments>", "exec"), namespace)  # NOTE: source built from repr()s only
    return namespace["arguments"]  # type: ignore[no-any-return]


def _no_arguments(ctx: Any) -> dict[str, Any]:
    return {}

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

# The generated factories, by source code: each takes the step's constants and returns its argument builder.
_FACTORIES: dict[str, Callable[..., ArgumentBuilder]] = {}

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
    constants: list[Any] = []
    entries = []
    for name, source, key in args:
        if source is ArgSource.value:
            expression = f"values[{key!r}]"
        elif source is ArgSource.step:
            expression = f"results[{int(key)}]"
        elif source is ArgSource.constant:
            expression = f"_constant{len(constants)}"
            constants.append(key)
        else:
            expression = _SPECIAL_EXPRESSIONS[source]
        entries.append(f"{name!r}: {expression}")
    # NOTE: names and value keys come from Python identifiers and compile-time keys, and are embedded with repr()
    source_code = (
        f"def make({', '.join(f'_constant{n}' for n in range(len(constants)))}):\n"
        "    def arguments(ctx):\n"
        "        values = ctx.values\n"
        "        results = ctx.results\n"
        f"        return {{{', '.join(entries)}}}\n"
        "    return arguments\n"
    )
    # PERF: compiling costs ~0.2 ms and most routes' arguments look alike; the code is compiled once per shape
    make = _FACTORIES.get(source_code)
    if make is None:
        namespace: dict[str, Any] = {}
        exec(compile(source_code, "<vivace arguments>", "exec"), namespace)  # NOTE: source built from repr()s only
        make = _FACTORIES[source_code] = namespace["make"]
    return make(*constants)  # type: ignore[no-any-return]


def _no_arguments(ctx: Any) -> dict[str, Any]:
    return {}

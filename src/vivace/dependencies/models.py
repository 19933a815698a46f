"""`Dependant`: the analysed tree of a callable's parameters, as `route.dependant` holds it.

It is vivace's own analysis record (`_core.signature.Dependant`), not a copy: an extension that appends a
sub-dependant to `route.dependant.dependencies` edits what the route compiles. Its parameter specs answer to
FastAPI's field interface and count as `ModelField`s.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

from vivace._compat.v2 import ModelField
from vivace._core.signature import Dependant, ParamField

__all__ = ["Dependant", "ModelField"]

ModelField.register(ParamField)


def _unwrapped_call(call: Callable[..., Any] | None) -> Any:
    """The function behind partials and decorators; for a callable instance, its `__call__`."""
    while isinstance(call, partial):
        call = call.func
    target = inspect.unwrap(call) if call is not None else None
    if target is not None and not inspect.isroutine(target) and not inspect.isclass(target):
        # NOTE: the class attribute, not `callable()`: the question is what kind of function `__call__` is
        dunder = getattr(type(target), "__call__", None)  # noqa: B004
        if dunder is not None:
            target = inspect.unwrap(dunder)
    return target


def _is_coroutine_callable(call: Callable[..., Any] | None) -> bool:
    """An `async def` function or an instance whose `__call__` is one (a class itself is not)."""
    return not inspect.isclass(call) and inspect.iscoroutinefunction(_unwrapped_call(call))


def _is_gen_callable(call: Callable[..., Any] | None) -> bool:
    """A generator function (a `yield` dependency run in a thread), or an instance whose `__call__` is one."""
    return not inspect.isclass(call) and inspect.isgeneratorfunction(_unwrapped_call(call))


def _is_async_gen_callable(call: Callable[..., Any] | None) -> bool:
    """An async generator function (an async `yield` dependency), or an instance whose `__call__` is one."""
    return not inspect.isclass(call) and inspect.isasyncgenfunction(_unwrapped_call(call))

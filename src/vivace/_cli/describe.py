"""Short human names for the things a route declares: callables, types, source locations."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from vivace._cli.discover import display_path

__all__ = ["callable_name", "source_location", "type_name"]


def callable_name(call: Any) -> str:
    """`get_user` for a function, `OAuth2PasswordBearer` for an instance, `partial(get_user)` for a partial."""
    if isinstance(call, functools.partial):
        return f"partial({callable_name(call.func)})"
    if inspect.isroutine(call) or inspect.isclass(call):
        return str(getattr(call, "__qualname__", None) or getattr(call, "__name__", repr(call)))
    return type(call).__name__


def type_name(annotation: Any) -> str:
    """`list[Item]`, `Item | None`, `dict[str, int]`: annotations without module prefixes."""
    if annotation is None or annotation is NoneType:
        return "None"
    if annotation is Ellipsis:
        return "..."
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return type_name(args[0])
    if origin in (Union, UnionType):
        return " | ".join(type_name(arg) for arg in args)
    if origin is Literal:
        return f"Literal[{', '.join(repr(arg) for arg in args)}]"
    if origin is not None:
        base = getattr(origin, "__name__", None) or str(origin).replace("typing.", "")
        return f"{base}[{', '.join(type_name(arg) for arg in args)}]" if args else base
    if isinstance(annotation, type):
        return annotation.__qualname__
    return str(annotation).replace("typing.", "")


def _source_target(call: Callable[..., Any]) -> Any:
    target = inspect.unwrap(call)
    if not (inspect.isroutine(target) or inspect.isclass(target)):
        target = inspect.unwrap(type(target).__call__)
    return target


def source_location(call: Callable[..., Any]) -> tuple[str, int]:
    """`(file, line)` where `call` is defined (its first decorator line); `("<unknown>", 0)` when not Python."""
    target = _source_target(call)
    try:
        file = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return "<unknown>", 0
    return (display_path(file), line) if file else ("<unknown>", 0)

"""Structural keys for validator inputs, so that routes declaring the same parameters share one validator.

PERF: building a Pydantic model or TypeAdapter costs about a millisecond, and most applications declare the
same parameters over and over (`item_id: int`, the same pagination query on every list route). `shape_key`
turns what such a validator is built from (annotations, constraints, defaults) into a hashable key that is
equal only when the validators would behave identically; anything it cannot vouch for is compared by identity,
so an unknown object at worst costs a validator of its own, never a wrong one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import weakref
from collections.abc import Callable, Hashable
from types import NoneType
from typing import Any, TypeVar, get_args, get_origin

__all__ = ["SharedBuilds", "shape_key"]

# Values compared by type and value: `1`, `1.0` and `True` are equal in Python but validate differently.
_BY_VALUE = frozenset({int, float, str, bytes, bool, complex, NoneType})

T = TypeVar("T")


class _Same:
    """An object compared by identity (and kept alive by the key, so its id cannot be reused)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)


def shape_key(value: Any) -> Any:  # NOTE: always hashable; typed Any because mypy sees `type` as unhashable
    """A key equal for two values only when Pydantic treats them identically (else identity decides)."""
    kind = type(value)
    if kind in _BY_VALUE:
        return (kind, value)
    if kind is tuple:
        return (tuple, *map(shape_key, value))
    origin = get_origin(value)
    if origin is not None:
        # NOTE: typing's Union and Literal compare their arguments as sets; order matters to validation (the
        # first matching union member, error order), so the key keeps the declared order
        return ("generic", kind, shape_key(origin), *map(shape_key, get_args(value)))
    if isinstance(value, type):
        return _Same(value)
    module = getattr(kind, "__module__", "") or ""
    # NOTE: constraint and metadata classes of annotated_types and Pydantic are described by their fields or
    # __dict__; an application's own classes may hold state elsewhere, so they are compared by identity
    if module == "annotated_types" or module.startswith("pydantic."):
        if dataclasses.is_dataclass(value):
            return (kind, *(shape_key(getattr(value, f.name)) for f in dataclasses.fields(value)))
        state = getattr(value, "__dict__", None)
        if type(state) is dict and _state_in_dict(kind):
            return (kind, *((name, shape_key(item)) for name, item in sorted(state.items())))
    return _Same(value)


def _state_in_dict(kind: type) -> bool:
    """No class along `kind`'s MRO declares a slot: the instance's `__dict__` is all its state.

    NOTE: Pydantic's `Field(pattern=...)` metadata class inherits empty `__slots__` from its bases and keeps its
    fields in `__dict__`: compared by value, the 25 search routes of bench/startup_app.py share one validator.
    """
    return not any(cls.__dict__.get("__slots__") for cls in kind.__mro__)


class SharedBuilds:
    """Built objects (models, adapters) by shape key; an entry lives as long as some route holds its object."""

    def __init__(self) -> None:
        self._built: weakref.WeakValueDictionary[Hashable, Any] = weakref.WeakValueDictionary()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        found = self._built.get(key)
        if found is None:
            found = build()
            with contextlib.suppress(TypeError):  # an object without weak references: built again next time
                self._built[key] = found
        return found  # type: ignore[no-any-return]

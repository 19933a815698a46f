"""Is this annotation a sequence (read from repeated form fields or query keys)? Asked below everything else.

A leaf module: `_core.signature` and `_compat.form_unions` ask it too, and `_compat.shared` (which imports the
analysis) re-exports its names under FastAPI's `fastapi._compat` spellings.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from types import UnionType
from typing import Annotated, Any, TypeGuard, TypeVar, Union, get_args, get_origin

__all__ = ["field_annotation_is_sequence", "lenient_issubclass", "sequence_types"]

_T = TypeVar("_T")

#: the containers read from repeated query keys, headers or form fields
sequence_types: tuple[type[Any], ...] = (Sequence, list, tuple, set, frozenset, deque)
_UNIONS = (Union, UnionType)


def lenient_issubclass(cls: Any, class_or_tuple: type[_T] | tuple[type[_T], ...] | None) -> TypeGuard[type[_T]]:
    """`issubclass` that answers False (instead of raising) when `cls` is not a class (`list[int]`, `None`)."""
    if class_or_tuple is None or not isinstance(cls, type) or get_origin(cls) is not None:
        return False
    return issubclass(cls, class_or_tuple)


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def field_annotation_is_sequence(annotation: object) -> bool:
    """A list, tuple, set, deque or Sequence (alone or in a union); `str` and `bytes` are not sequences here."""
    annotation = _strip(annotation)
    if get_origin(annotation) in _UNIONS:
        return any(field_annotation_is_sequence(arg) for arg in get_args(annotation))
    target = get_origin(annotation) or annotation
    return lenient_issubclass(target, sequence_types) and not lenient_issubclass(target, (str, bytes))

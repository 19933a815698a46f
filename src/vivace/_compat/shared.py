"""Questions about annotations and values that extensions ask through `fastapi._compat`.

"Is this a scalar, a sequence, bytes, an uploaded file?": the same answers vivace's analysis uses to decide
where a parameter is read from, phrased as FastAPI's helper names.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import is_dataclass
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import BaseModel
from starlette.datastructures import UploadFile

from vivace._compat.sequences import (
    _UNIONS,
    _strip,
    field_annotation_is_sequence,
    lenient_issubclass,
    sequence_types,
)
from vivace._core.signature import has_v1_model

__all__ = [
    "annotation_is_pydantic_v1",
    "field_annotation_is_scalar",
    "field_annotation_is_scalar_sequence",
    "field_annotation_is_sequence",
    "is_bytes_or_nonable_bytes_annotation",
    "is_bytes_sequence_annotation",
    "is_pydantic_v1_model_instance",
    "is_uploadfile_or_nonable_uploadfile_annotation",
    "is_uploadfile_sequence_annotation",
    "lenient_issubclass",
    "sequence_types",
    "value_is_sequence",
]

_T = TypeVar("_T")

def _members(annotation: Any) -> tuple[Any, ...]:
    """The non-None members of a union, or the annotation itself."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in _UNIONS:
        return tuple(arg for arg in get_args(annotation) if arg is not type(None))
    return (annotation,)


def _is_complex(annotation: Any) -> bool:
    annotation = _strip(annotation)
    target = get_origin(annotation) or annotation
    return (
        lenient_issubclass(target, (BaseModel, Mapping, UploadFile))
        or field_annotation_is_sequence(annotation)
        or is_dataclass(target)
    )


def field_annotation_is_scalar(annotation: Any) -> bool:
    """Neither a model, a mapping, a sequence, a dataclass nor a file (`Ellipsis` counts as scalar)."""
    annotation = _strip(annotation)
    if annotation is Ellipsis:
        return True
    if get_origin(annotation) in _UNIONS:
        return all(field_annotation_is_scalar(arg) for arg in get_args(annotation))
    return not _is_complex(annotation)


def field_annotation_is_scalar_sequence(annotation: Any) -> bool:
    """A sequence of scalars (`list[int]`, `set[str] | None`), which a query key or header may repeat."""
    annotation = _strip(annotation)
    if get_origin(annotation) in _UNIONS:
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        found = [arg for arg in args if field_annotation_is_scalar_sequence(arg)]
        return bool(found) and all(arg in found or field_annotation_is_scalar(arg) for arg in args)
    if not field_annotation_is_sequence(annotation):
        return False
    return all(field_annotation_is_scalar(arg) for arg in get_args(annotation))


def is_bytes_or_nonable_bytes_annotation(annotation: Any) -> bool:
    """`bytes` or `bytes | None`."""
    return any(lenient_issubclass(member, bytes) for member in _members(annotation))


def is_uploadfile_or_nonable_uploadfile_annotation(annotation: Any) -> bool:
    """`UploadFile` or `UploadFile | None`."""
    return any(lenient_issubclass(member, UploadFile) for member in _members(annotation))


def _sequence_of(annotation: Any, check: Any) -> bool:
    for member in _members(annotation):
        if field_annotation_is_sequence(member) and any(check(arg) for arg in get_args(member)):
            return True
    return False


def is_bytes_sequence_annotation(annotation: Any) -> bool:
    """A sequence of `bytes` (`list[bytes]`, possibly optional)."""
    return _sequence_of(annotation, is_bytes_or_nonable_bytes_annotation)


def is_uploadfile_sequence_annotation(annotation: Any) -> bool:
    """A sequence of `UploadFile` (`list[UploadFile]`, possibly optional)."""
    return _sequence_of(annotation, is_uploadfile_or_nonable_uploadfile_annotation)


def value_is_sequence(value: Any) -> bool:
    """A list, tuple, set, frozenset or deque value (a string is not)."""
    return isinstance(value, sequence_types) and not isinstance(value, (str, bytes))


def annotation_is_pydantic_v1(annotation: Any) -> bool:
    """Whether a pydantic.v1 model appears in the annotation (vivace, like FastAPI 0.165, rejects them)."""
    return has_v1_model(annotation)


def is_pydantic_v1_model_instance(obj: Any) -> bool:
    v1 = sys.modules.get("pydantic.v1")
    return v1 is not None and isinstance(obj, v1.BaseModel)

"""`jsonable_encoder`: turn any Python object into data that `json.dumps` accepts.

The output matches FastAPI's `fastapi.encoders.jsonable_encoder` value for value, including
its options and its errors (a differential test compares the two). vivace's own response path
does not use it: routes serialize with Pydantic directly. It exists for application code and
for the exception handlers.

The conversion order is significant and mirrors FastAPI's: custom encoders, Pydantic models,
dataclasses, enums, paths, JSON scalars, dicts, sequences, then `ENCODERS_BY_TYPE` by exact
type, then by `isinstance` (one check per conversion, in a fixed order), then `dict(obj)`,
then `vars(obj)`.
"""

import dataclasses
import datetime
import importlib
import sys
from collections import defaultdict, deque
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network
from pathlib import Path, PurePath
from re import Pattern
from types import GeneratorType, NoneType
from typing import Any, NamedTuple, cast
from uuid import UUID

from pydantic import BaseModel
from pydantic_core import PydanticUndefinedType, Url

from vivace.exceptions import PydanticV1NotSupportedError
from vivace.types import IncEx

Encoder = Callable[[Any], Any]


def isoformat(o: datetime.date | datetime.time) -> str:
    """ISO 8601 text of a date, datetime or time."""
    return o.isoformat()


def decimal_encoder(dec_value: Decimal) -> int | float:
    """A `Decimal` as `int` when it has no fractional digits (`Decimal("3")`), else as `float`.

    This keeps integer-valued database numerics (`NUMERIC(10, 0)`) round-tripping as integers.
    """
    exponent = dec_value.as_tuple().exponent
    # NOTE: NaN and infinities have a letter as exponent ('n', 'N', 'F'); they become floats.
    if isinstance(exponent, int) and exponent >= 0:
        return int(dec_value)
    return float(dec_value)


def _decode_bytes(o: bytes) -> str:
    return o.decode()


def _total_seconds(o: datetime.timedelta) -> float:
    return o.total_seconds()


def _enum_value(o: Enum) -> Any:
    return o.value


def _pattern_source(o: Pattern[Any]) -> Any:
    return o.pattern


_IP_TYPES = (IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network)

#: exact type -> conversion; applications may add types (looked up by exact type only, as in FastAPI)
ENCODERS_BY_TYPE: dict[type[Any], Encoder]
#: conversion -> the types it serves, for the `isinstance` checks (built from ENCODERS_BY_TYPE)
encoders_by_class_tuples: dict[Encoder, tuple[Any, ...]]


def generate_encoders_by_class_tuples(
    type_encoder_map: dict[Any, Encoder],
) -> dict[Encoder, tuple[Any, ...]]:
    """Invert a type -> encoder table into encoder -> tuple of types (for one `isinstance` each)."""
    by_encoder: defaultdict[Encoder, tuple[Any, ...]] = defaultdict(tuple)
    for type_, encoder in type_encoder_map.items():
        by_encoder[encoder] += (type_,)
    return by_encoder


def _conversions() -> tuple[tuple[Encoder, tuple[type[Any], ...]], ...]:
    """Each conversion with the types it serves.

    NOTE: the order of the groups is the order in which `isinstance` tries them for subclasses (see
    encoders_by_class_tuples); it is FastAPI's. Inside a group, order is free.
    """
    from pydantic import AnyUrl, NameEmail, SecretBytes, SecretStr  # noqa: PLC0415 - see _load_tables
    from pydantic.color import Color  # noqa: PLC0415

    return (
        (_decode_bytes, (bytes,)),
        (str, (Color, *_extra_colors(), *_IP_TYPES, NameEmail, Path, SecretBytes, SecretStr, UUID, Url, AnyUrl)),
        (isoformat, (datetime.date, datetime.datetime, datetime.time)),
        (_total_seconds, (datetime.timedelta,)),
        (decimal_encoder, (Decimal,)),
        (_enum_value, (Enum,)),
        (list, (frozenset, deque, GeneratorType, set)),
        (_pattern_source, (Pattern,)),
    )


def _extra_colors() -> tuple[type[Any], ...]:
    """`pydantic_extra_types.color.Color` when that optional package is installed."""
    try:
        from pydantic_extra_types.color import Color  # type: ignore[import-not-found]  # noqa: PLC0415
    except ImportError:
        return ()
    return (Color,)  # pragma: no cover - optional package, not installed here


def _load_tables() -> None:
    """Build ENCODERS_BY_TYPE and encoders_by_class_tuples (once, on first use).

    PERF: the tables name types from `pydantic.networks` and `pydantic.color`; importing those modules costs
    ~10 M instructions at `import vivace`, for conversions most applications never make (their responses are
    serialized by Pydantic, and plain data needs no table). Reading either name, or converting a value the
    tables serve, builds them.
    """
    # NOTE: a table an application assigned before first use is kept (the other is built from it)
    namespace = globals()
    if "ENCODERS_BY_TYPE" not in namespace:
        namespace["ENCODERS_BY_TYPE"] = {kind: encoder for encoder, kinds in _conversions() for kind in kinds}
    if "encoders_by_class_tuples" not in namespace:
        namespace["encoders_by_class_tuples"] = generate_encoders_by_class_tuples(namespace["ENCODERS_BY_TYPE"])


#: names FastAPI's module binds that are loaded with the tables: module attribute -> (module, name)
_LAZY_NAMES = {
    "AnyUrl": ("pydantic", "AnyUrl"),
    "Color": ("pydantic.color", "Color"),
    "NameEmail": ("pydantic", "NameEmail"),
    "SecretBytes": ("pydantic", "SecretBytes"),
    "SecretStr": ("pydantic", "SecretStr"),
}


def __getattr__(name: str) -> Any:
    if name in ("ENCODERS_BY_TYPE", "encoders_by_class_tuples"):
        _load_tables()
        return globals()[name]
    if name in _LAZY_NAMES:
        module, attribute = _LAZY_NAMES[name]
        return getattr(importlib.import_module(module), attribute)
    if name == "PyExtraColor":
        return (_extra_colors() or (_NoExtraColor,))[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _NoExtraColor:
    """Stands for `pydantic_extra_types.color.Color` when that package is not installed: no value is one."""


_SEQUENCE_TYPES = (list, set, frozenset, GeneratorType, tuple, deque)
_SCALAR_TYPES = (str, int, float, NoneType)
_NOT_FOUND: Any = object()


class _Options(NamedTuple):
    """The options that travel down the recursion (include/exclude apply per level)."""

    by_alias: bool
    exclude_unset: bool
    exclude_defaults: bool
    exclude_none: bool
    custom_encoder: dict[Any, Encoder]
    sqlalchemy_safe: bool


def jsonable_encoder(
    obj: Any,
    include: IncEx | None = None,
    exclude: IncEx | None = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    custom_encoder: dict[Any, Callable[[Any], Any]] | None = None,
    sqlalchemy_safe: bool = True,
) -> Any:
    """Convert `obj` into dicts, lists, strings, numbers, booleans and None.

    `include`, `exclude`, `by_alias`, `exclude_unset`, `exclude_defaults` and `exclude_none`
    are passed to Pydantic models; `include`/`exclude` also filter dict keys. `custom_encoder`
    maps types to functions that take precedence over the built-in conversions (not applied
    inside Pydantic models). With `sqlalchemy_safe`, dict keys starting with `_sa` (SQLAlchemy's
    internal state) are dropped.
    """
    options = _Options(
        by_alias, exclude_unset, exclude_defaults, exclude_none, custom_encoder or {}, sqlalchemy_safe
    )
    return _encode(obj, include, exclude, options)


def _encode(obj: Any, include: Any, exclude: Any, options: _Options) -> Any:
    if options.custom_encoder:
        encoded = _apply_custom_encoder(obj, options.custom_encoder)
        if encoded is not _NOT_FOUND:
            return encoded
    include, exclude = _as_filter(include), _as_filter(exclude)
    if isinstance(obj, BaseModel):
        return _encode_model(obj, include, exclude, options)
    if dataclasses.is_dataclass(obj):
        assert not isinstance(obj, type), "jsonable_encoder() takes dataclass instances, not classes"
        return _encode(dataclasses.asdict(obj), include, exclude, options)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, _SCALAR_TYPES):
        return obj
    if isinstance(obj, PydanticUndefinedType):
        return None
    if isinstance(obj, dict):
        return _encode_dict(obj, include, exclude, options)
    if isinstance(obj, _SEQUENCE_TYPES):
        return [_encode(item, include, exclude, options) for item in obj]
    return _encode_other(obj, include, exclude, options)


def _apply_custom_encoder(obj: Any, custom_encoder: dict[Any, Encoder]) -> Any:
    """The custom encoder's result for `obj` (exact type first, then isinstance), or _NOT_FOUND."""
    encoder = custom_encoder.get(type(obj))
    if encoder is not None:
        return encoder(obj)
    for type_, encoder in custom_encoder.items():
        if isinstance(obj, type_):
            return encoder(obj)
    return _NOT_FOUND


def _as_filter(keys: Any) -> Any:
    """include/exclude as a set or dict (any other iterable of keys becomes a set)."""
    return keys if keys is None or isinstance(keys, set | dict) else set(keys)


def _encode_model(obj: BaseModel, include: Any, exclude: Any, options: _Options) -> Any:
    data = obj.model_dump(
        mode="json",
        include=cast(IncEx | None, include),
        exclude=cast(IncEx | None, exclude),
        by_alias=options.by_alias,
        exclude_unset=options.exclude_unset,
        exclude_none=options.exclude_none,
        exclude_defaults=options.exclude_defaults,
    )
    # NOTE: the dump is walked once more, as FastAPI does, without the custom encoders and with
    # default aliasing: this only drops `_sa` keys (and None values under exclude_none).
    inner = options._replace(by_alias=True, exclude_unset=False, custom_encoder={})
    return _encode(data, None, None, inner)


def _encode_dict(obj: dict[Any, Any], include: Any, exclude: Any, options: _Options) -> dict[Any, Any]:
    allowed = _allowed_keys(obj, include, exclude)
    result = {}
    for key, value in obj.items():
        if options.sqlalchemy_safe and isinstance(key, str) and key.startswith("_sa"):
            continue
        if (value is None and options.exclude_none) or (allowed is not None and key not in allowed):
            continue
        # include/exclude name this level's keys only, so they are not passed further down.
        result[_encode(key, None, None, options)] = _encode(value, None, None, options)
    return result


def _allowed_keys(obj: dict[Any, Any], include: Any, exclude: Any) -> set[Any] | None:
    """The keys that pass include/exclude, or None when neither is given (all keys pass)."""
    if include is None and exclude is None:
        return None
    allowed = set(obj.keys())
    if include is not None:
        allowed &= set(include)
    if exclude is not None:
        allowed -= set(exclude)
    return allowed


def _encode_other(obj: Any, include: Any, exclude: Any, options: _Options) -> Any:
    by_type, by_class = _tables()
    encoder = by_type.get(type(obj)) or _encoder_by_class(obj, by_class)
    if encoder is not None:
        return encoder(obj)
    if _is_pydantic_v1_model(obj):
        raise PydanticV1NotSupportedError(
            f"Pydantic v1 models are not supported; migrate this model to Pydantic v2: {obj!r}."
        )
    return _encode(_as_mapping(obj), include, exclude, options)


def _tables() -> tuple[dict[type[Any], Encoder], dict[Encoder, tuple[Any, ...]]]:
    """The module's current tables (read each time: applications may replace them), built on first use."""
    namespace = globals()
    if "encoders_by_class_tuples" not in namespace:
        _load_tables()
    return namespace["ENCODERS_BY_TYPE"], namespace["encoders_by_class_tuples"]


def _encoder_by_class(obj: Any, by_class: dict[Encoder, tuple[Any, ...]]) -> Encoder | None:
    for encoder, classes in by_class.items():
        if isinstance(obj, classes):
            return encoder
    return None


def _is_pydantic_v1_model(obj: Any) -> bool:
    # PERF: a v1 model can only exist if `pydantic.v1` was imported, so never import it here.
    pydantic_v1 = sys.modules.get("pydantic.v1")
    return pydantic_v1 is not None and isinstance(obj, pydantic_v1.BaseModel)


def _as_mapping(obj: Any) -> Any:
    """`dict(obj)`, else `vars(obj)`; if both fail, ValueError with the list of both errors."""
    try:
        return dict(obj)
    except Exception as dict_error:
        try:
            return vars(obj)
        except Exception as vars_error:
            raise ValueError([dict_error, vars_error]) from vars_error

"""Stage 7, serialize: flat Pydantic models written by orjson when that provably gives Pydantic's own bytes.

Pydantic's JSON writer spends about 70 ns per value, orjson about 20. For the `__dict__` of a model whose fields
are `int`, `float`, `str` and `bool`, the two write the same bytes except in these cases (tests/core/
test_model_json.py walks every pairing of field type and value type, and fuzzes floats and strings):

- an int or a bool in a `float` field: Pydantic converts and writes `3.0`, orjson writes `3`;
- a bool in an `int` field: Pydantic writes `1`, orjson `true`;
- keys in `__dict__` that are not fields (set by `object.__setattr__`): Pydantic leaves them out;
- values Pydantic formats its own way (datetimes, with `Z` for UTC), or that orjson writes as their base type
  (subclasses of str, int, dict, list), or field by field (dataclasses): orjson is told to refuse those types,
  so they end on Pydantic's side like everything else orjson cannot write (bytes, sets, Decimals, huge ints...).

Fields that are lists of `str` or `bool` are written alike whatever they hold. A writer is built only for such
models (fields without custom serializers, serialization aliases, exclusions, computed fields or extras; inf and
nan written as null) and, on each call, checks the int columns for bools, the float columns for anything but
floats, and the key count of every `__dict__`. When a check fails, or orjson
refuses a value, the writer returns None and the caller serializes with Pydantic.
"""

from __future__ import annotations

import functools
import typing
import weakref
from collections.abc import Callable, Iterator
from operator import attrgetter, countOf, itemgetter
from typing import Any

from pydantic import BaseModel, PydanticUserError

try:
    import orjson
except ImportError:  # pragma: no cover - orjson comes with the `standard` extra; without it Pydantic writes
    orjson = None  # type: ignore[assignment]

__all__ = ["FastDump", "build_fast_dump", "orjson_dumps"]

FastDump = Callable[[Any], bytes | None]
# One column to check: how to read it from a `__dict__`, and its kind: "int", "float" or "float?" (optional).
_Check = tuple[Callable[[dict[str, Any]], Any], str]

_PASSTHROUGH = ("OPT_PASSTHROUGH_DATETIME", "OPT_PASSTHROUGH_SUBCLASS", "OPT_PASSTHROUGH_DATACLASS")
if orjson is not None and not all(hasattr(orjson, name) for name in _PASSTHROUGH):  # pragma: no cover - orjson < 3.3
    orjson = None  # type: ignore[assignment]
# orjson's writer with its default options, for plain data (None without orjson)
orjson_dumps: Callable[[Any], bytes] | None = None if orjson is None else orjson.dumps
_OPTIONS = 0 if orjson is None else functools.reduce(int.__or__, (getattr(orjson, name) for name in _PASSTHROUGH))

_OPTIONAL_FLOAT: frozenset[type] = frozenset({float, type(None)})
_DICT = attrgetter("__dict__")
# PERF: many routes return the same model; its columns are worked out once (keyed by the schema it was read from)
_CHECKED: weakref.WeakKeyDictionary[type[BaseModel], tuple[Any, tuple[int, list[_Check]] | None]]
_CHECKED = weakref.WeakKeyDictionary()
_SCALARS = frozenset({"int", "float", "str", "bool"})
_TRANSPARENT = frozenset({"default", "function-after", "function-before"})  # validators that leave serializing alone
_FIELD_KEYS = frozenset({"type", "schema", "metadata", "validation_alias", "frozen"})  # none change the output


def build_fast_dump(response_model: Any) -> tuple[FastDump, bool] | None:
    """A checked orjson writer for `response_model` (a model or a list of one), or None when it cannot apply.

    The flag returned with it is true when the model's validator returns exact instances unchanged
    (`revalidate_instances='never'`), so the writer may take the endpoint's result before validation.
    """
    if orjson is None:
        return None
    many = typing.get_origin(response_model) is list
    model = typing.get_args(response_model)[0] if many else response_model
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    try:
        plan = _known_column_checks(model)
    except PydanticUserError:  # a model not fully defined yet: Pydantic reports it when it serializes
        return None
    if plan is None:
        return None
    count, checks = plan
    trusted = model.__pydantic_core_schema__.get("config", {}).get("revalidate_instances", "never") == "never"
    return (_list_writer if many else _model_writer)(model, count, checks), trusted


def _known_column_checks(model: type[BaseModel]) -> tuple[int, list[_Check]] | None:
    """`_column_checks(model)`, worked out once per model (and again if the model is rebuilt)."""
    schema = model.__pydantic_core_schema__
    found = _CHECKED.get(model)
    if found is None or found[0] is not schema:
        found = _CHECKED[model] = (schema, _column_checks(model))
    return found[1]


def _column_checks(model: type[BaseModel]) -> tuple[int, list[_Check]] | None:
    """The model's field count and the columns to check, or None when the model rules the fast path out."""
    schema = model.__pydantic_core_schema__
    if schema.get("type") != "model" or schema.get("root_model") or "serialization" in schema:
        return None
    config = schema.get("config", {})
    if config.get("ser_json_inf_nan", "null") != "null" or config.get("extra_fields_behavior") == "allow":
        return None
    fields = schema["schema"]
    if fields.get("type") != "model-fields" or fields.get("computed_fields") or fields.get("extras_schema"):
        return None
    if any(isinstance(value, functools.cached_property) for klass in model.__mro__ for value in vars(klass).values()):
        # NOTE: a cached value lives in __dict__; with a field missing too, the key count alone would not tell.
        return None
    checks: list[_Check] = []
    for name, field in fields["fields"].items():
        if not field.keys() <= _FIELD_KEYS:
            return None  # a serialization alias, an exclusion
        kind = _scalar_kind(field["schema"])
        if kind is None:
            return None
        if kind in ("int", "float", "float?"):
            checks.append((itemgetter(name), kind))
    return len(fields["fields"]), checks


def _scalar_kind(schema: dict[str, Any]) -> str | None:
    """"int", "float", "float?" (optional), "str", "bool" or "list" (of str or bool), looking through defaults and
    validators; or None."""
    optional = False
    while "serialization" not in schema:
        kind = schema.get("type")
        if kind in _SCALARS:
            return f"{kind}?" if optional and kind == "float" else kind
        if kind == "list":
            # NOTE: Pydantic writes str and bool items (and anything else in their place) as orjson does
            items = schema.get("items_schema", {})
            return "list" if items.get("type") in ("str", "bool") and "serialization" not in items else None
        if kind == "nullable":
            optional = True
        elif kind not in _TRANSPARENT:
            return None
        schema = schema["schema"]
    return None


def _column_ok(kind: str, types: Iterator[type], size: int) -> bool:
    """Whether a column's value types (`size` of them) are written alike by orjson and Pydantic."""
    # PERF: countOf compares by identity first and builds nothing, cheaper than collecting the types in a set
    if kind == "int":
        return not countOf(types, bool)
    if kind == "float":
        return countOf(types, float) == size
    return set(types) <= _OPTIONAL_FLOAT


def _list_writer(model: type[BaseModel], count: int, checks: list[_Check]) -> FastDump:
    dumps = orjson.dumps
    options = _OPTIONS

    def write(value: Any) -> bytes | None:
        if type(value) is not list:
            return None
        # PERF: every check is one pass of C-level iterators over the list or a column; a Python loop over the
        # models would cost more than orjson saves.
        size = len(value)
        if countOf(map(type, value), model) != size:
            return None
        dicts = list(map(_DICT, value))
        if countOf(map(len, dicts), count) != size:
            return None
        try:
            for read, kind in checks:
                if not _column_ok(kind, map(type, map(read, dicts)), size):
                    return None
            return dumps(dicts, option=options)
        except (KeyError, TypeError):  # a field missing from __dict__; a value orjson refuses
            return None

    return write


def _model_writer(model: type[BaseModel], count: int, checks: list[_Check]) -> FastDump:
    write_list = _list_writer(model, count, checks)

    def write(value: Any) -> bytes | None:
        # NOTE: the list's checks serve one model too; the brackets cost a 2-byte slice
        written = write_list([value]) if type(value) is model else None
        return None if written is None else written[1:-1]

    return write

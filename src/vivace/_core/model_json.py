"""Stage 7, serialize: Pydantic models written by orjson when that provably gives Pydantic's own bytes.

Pydantic's JSON writer spends about 70 ns per value, orjson about 20. For the `__dict__` of a model whose fields
are `int`, `float`, `str`, `bool`, lists of `str` or `bool`, datetimes, other such models, lists of them (and
optional forms of all these), the two write the same bytes except in these cases (tests/core/test_model_json.py
walks every pairing of field type and value type, and fuzzes floats, strings and datetimes):

- an int or a bool in a `float` field: Pydantic converts and writes `3.0`, orjson writes `3`;
- a bool in an `int` field: Pydantic writes `1`, orjson `true`;
- keys in `__dict__` that are not fields (set by `object.__setattr__`), or fields missing from it: Pydantic
  writes the fields only;
- a nested model: orjson cannot write one, so its `__dict__` (checked the same way) takes its place;
- a datetime whose offset has seconds (orjson rounds them, Pydantic cuts them) or comes from a zone other than
  a fixed `datetime.timezone` or Pydantic's own `TzInfo` (a `ZoneInfo`, a tzinfo answering None);
- values Pydantic formats its own way, or that orjson writes as their base type (subclasses of str, int, dict,
  list), or field by field (dataclasses): orjson is told to refuse those types, so they end on Pydantic's side
  like everything else orjson cannot write (bytes, sets, Decimals, huge ints...).

A writer is built only for such models (fields without custom serializers, serialization aliases, exclusions,
computed fields or extras; inf and nan written as null; datetimes in ISO 8601) as Python source generated for
the model (registered with `linecache`, so tracebacks show it): on each call it checks the model of every
instance, the key count of every `__dict__`, and the type of every value whose type could change the bytes.
When a check fails, or orjson refuses a value, the writer returns None and the caller serializes with Pydantic.
Models with datetime fields turn orjson's own datetime writer on, so there every value's type is checked.
NOTE: not checked, for its cost (a dict lookup per str or bool field and row, ~15% of a 100-model list): a key
set by `object.__setattr__` standing in for a field that `model_construct` left out, so the count still matches.
"""

from __future__ import annotations

import datetime
import functools
import linecache
import typing
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter, countOf
from typing import Any

from pydantic import BaseModel, PydanticUserError
from pydantic_core import TzInfo

try:
    import orjson
except ImportError:  # pragma: no cover - orjson comes with the `standard` extra; without it Pydantic writes
    orjson = None  # type: ignore[assignment]

__all__ = ["FastDump", "build_fast_dump", "orjson_dumps"]

FastDump = Callable[[Any], bytes | None]

_PASSTHROUGH = ("OPT_PASSTHROUGH_DATETIME", "OPT_PASSTHROUGH_SUBCLASS", "OPT_PASSTHROUGH_DATACLASS", "OPT_UTC_Z")
if orjson is not None and not all(hasattr(orjson, name) for name in _PASSTHROUGH):  # pragma: no cover - orjson < 3.3
    orjson = None  # type: ignore[assignment]
# orjson's writer with its default options, for plain data (None without orjson)
orjson_dumps: Callable[[Any], bytes] | None = None if orjson is None else orjson.dumps
# Without datetime fields orjson refuses datetimes; with them it writes them, `Z` for UTC as Pydantic does.
_DATETIME_OPTIONS = 0 if orjson is None else orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
_OPTIONS = 0 if orjson is None else _DATETIME_OPTIONS | orjson.OPT_PASSTHROUGH_DATETIME
_DATETIME_OPTIONS |= 0 if orjson is None else orjson.OPT_UTC_Z

_SCALARS = frozenset({"int", "float", "str", "bool", "datetime"})
_TRANSPARENT = frozenset({"default", "function-after", "function-before"})  # validators that leave serializing alone
_FIELD_KEYS = frozenset({"type", "schema", "metadata", "validation_alias", "frozen"})  # none change the output
_MODELS = "model", "definition-ref"
_NESTED = "model", "models"


@dataclass(frozen=True, slots=True)
class _Field:
    """One field as the writer sees it: `kind` is a scalar kind, "list" (of `item`) or "model"/"models" (of
    `model`)."""

    name: str
    kind: str
    optional: bool
    item: str = ""
    model: type[BaseModel] | None = None


# Each model of a tree and its fields, in the order the generated functions are written.
_Tree = dict[type[BaseModel], list[_Field]]
# PERF: many routes return the same model; its writers are built once (keyed by the schema they were read from)
_BUILT: weakref.WeakKeyDictionary[type[BaseModel], tuple[Any, dict[bool, tuple[FastDump, bool] | None]]]
_BUILT = weakref.WeakKeyDictionary()


class _Refused(Exception):
    """A value the checks cannot prove is written alike: the caller falls back to Pydantic."""


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
    schema = model.__pydantic_core_schema__
    built = _BUILT.get(model)
    if built is None or built[0] is not schema:
        built = _BUILT[model] = (schema, {})
    if many not in built[1]:
        try:
            built[1][many] = _build(model, schema, many=many)
        except PydanticUserError:  # a model not fully defined yet: Pydantic reports it when it serializes
            return None
    return built[1][many]


def _build(model: type[BaseModel], schema: Any, *, many: bool) -> tuple[FastDump, bool] | None:
    tree: _Tree = {}
    wrapped = schema.get("type") == "definitions"
    definitions = {d["ref"]: d for d in schema["definitions"]} if wrapped else {}
    top = _resolve(schema["schema"] if wrapped else schema, definitions)
    if top is None or top.get("cls") is not model or not _read_model(top, definitions, tree):
        return None
    trusted = top.get("config", {}).get("revalidate_instances", "never") == "never"
    return _compile(model, tree, many=many), trusted


def _resolve(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any] | None:
    """The model schema `schema` is or refers to, or None."""
    if schema.get("type") == "definition-ref" and "serialization" not in schema:
        schema = definitions.get(schema["schema_ref"], {})
    return schema if schema.get("type") == "model" else None


def _read_model(schema: dict[str, Any], definitions: dict[str, Any], tree: _Tree) -> bool:
    """Add the model of `schema` (and the models it holds) to `tree`; False when one rules the fast path out."""
    model = schema["cls"]
    if model in tree:
        return True  # NOTE: a recursive model: its function calls itself
    if schema.get("root_model") or "serialization" in schema or not _config_ok(schema.get("config", {})):
        return False
    fields = schema["schema"]
    if fields.get("type") != "model-fields" or fields.get("computed_fields") or fields.get("extras_schema"):
        return False
    if any(isinstance(value, functools.cached_property) for klass in model.__mro__ for value in vars(klass).values()):
        # NOTE: a cached value lives in __dict__; with a field missing too, the key count alone would not tell.
        return False
    read: list[_Field] = []
    tree[model] = read
    for name, field in fields["fields"].items():
        found = _read_field(name, field, definitions, tree) if field.keys() <= _FIELD_KEYS else None
        if found is None:
            return False  # a serialization alias, an exclusion, a type outside the fast path
        read.append(found)
    return True


def _config_ok(config: dict[str, Any]) -> bool:
    return (
        config.get("ser_json_inf_nan", "null") == "null"
        and config.get("ser_json_temporal", "iso8601") == "iso8601"
        and config.get("extra_fields_behavior") != "allow"
    )


def _read_field(name: str, field: dict[str, Any], definitions: dict[str, Any], tree: _Tree) -> _Field | None:
    """The field's kind, looking through defaults, validators and `| None`; or None."""
    schema, optional = _unwrap(field["schema"])
    kind = None if schema is None else schema.get("type")
    if kind in _SCALARS:
        return _Field(name, kind, optional)
    if kind in _MODELS:
        nested = _resolve(schema, definitions)
        ok = nested is not None and _read_model(nested, definitions, tree)
        return _Field(name, "model", optional, model=nested["cls"]) if ok and nested else None
    if kind != "list":
        return None
    items, items_optional = _unwrap(schema.get("items_schema", {}))
    if items is None or items_optional:
        return None
    if items.get("type") in ("str", "bool"):
        # NOTE: Pydantic writes str and bool items (and anything else in their place) as orjson does
        return _Field(name, "list", optional, item=items["type"])
    nested = _resolve(items, definitions) if items.get("type") in _MODELS else None
    if nested is None or not _read_model(nested, definitions, tree):
        return None
    return _Field(name, "models", optional, model=nested["cls"])


def _unwrap(schema: dict[str, Any]) -> tuple[Any, bool]:
    """The schema under defaults, transparent validators and `nullable`, and whether None is allowed; the schema
    is None when a custom serializer is met."""
    optional = False
    while "serialization" not in schema:
        kind = schema.get("type")
        if kind == "nullable":
            optional = True
        elif kind not in _TRANSPARENT:
            return schema, optional
        schema = schema["schema"]
    return None, optional


# --- code generation --------------------------------------------------------------------------------------------


def _compile(model: type[BaseModel], tree: _Tree, *, many: bool) -> FastDump:
    """The writer's source, compiled: one function per model of the tree, then `write`."""
    strict = any(field.kind == "datetime" for fields in tree.values() for field in fields)
    names = {klass: f"_m{index}" for index, klass in enumerate(tree)}
    namespace: dict[str, Any] = {
        "countOf": countOf,
        "dumps": orjson.dumps,
        "OPTIONS": _DATETIME_OPTIONS if strict else _OPTIONS,
        "Refused": _Refused,
        "datetime": datetime.datetime,
        "DICT": _DICT,
        "zone_ok": _zone_ok,
        "ZONES": _ZONES,
    }
    namespace.update({f"{name}_cls": klass for klass, name in names.items()})
    namespace.update({builtin.__name__: builtin for builtin in _BUILTINS})
    lines: list[str] = []
    for klass, fields in tree.items():
        lines += [f"def {names[klass]}(value):", "    d = value.__dict__"]
        lines += _row(fields, names, strict, "    ", end=True)
    lines += _write_many(model, tree, names, strict) if many else _write_one(model, names)
    # PERF: the names the checks use are bound as closure cells of `_bind`, not looked up as globals and builtins
    # on every row (list-100: 429.3k -> 425.2k instructions per request under uvicorn)
    lines = [f"def _bind({', '.join(namespace)}):", *(f"    {line}" for line in lines), "    return write"]
    source = "\n".join(lines) + "\n"
    filename = f"<vivace writer {'list[' if many else ''}{model.__qualname__}{']' if many else ''} {id(tree):x}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    bound: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), bound)  # the source is built above, from field names
    write: FastDump = bound["_bind"](**namespace)
    return write


def _write_one(model: type[BaseModel], names: dict[type[BaseModel], str]) -> list[str]:
    name = names[model]
    return [
        "def write(value):",
        f"    if type(value) is not {name}_cls:",
        "        return None",
        "    try:",
        f"        return dumps({name}(value), option=OPTIONS)",
        "    except (Refused, KeyError, TypeError, RecursionError):  # TypeError: a value orjson refuses; a cycle",
        "        return None",
    ]


def _write_many(model: type[BaseModel], tree: _Tree, names: dict[type[BaseModel], str], strict: bool) -> list[str]:
    name = names[model]
    head = [
        "def write(value):",
        f"    if type(value) is not list or countOf(map(type, value), {name}_cls) != len(value):",
        "        return None",
        "    try:",
    ]
    tail = [
        "        return dumps(rows, option=OPTIONS)",
        "    except (Refused, KeyError, TypeError, RecursionError):  # TypeError: a value orjson refuses; a cycle",
        "        return None",
    ]
    if any(field.kind in _NESTED for field in tree[model]):
        return [*head, f"        rows = list(map({name}, value))", *tail]
    # PERF: a flat model's checks inlined in one loop over the __dict__s: about a third of the instructions of
    # one C-level pass per checked column, and no Python call per row
    body = _row(tree[model], names, strict, "            ", end=False)
    return [*head, "        rows = list(map(DICT, value))", "        for d in rows:", *body, *tail]


def _row(fields: list[_Field], names: dict[type[BaseModel], str], strict: bool, indent: str, *, end: bool) -> list[str]:
    """Statements checking the `__dict__` `d`; with `end`, a `return` of what orjson is to write for it."""
    tests = [f"len(d) != {len(fields)}"] + [test for field in fields if (test := _test(field, strict)) is not None]
    lines = [f"{indent}if {' or '.join(tests)}:", f"{indent}    raise Refused"]
    nested = [field for field in fields if field.kind in _NESTED]
    for index, field in enumerate(nested):
        lines += [f"{indent}{line}" for line in _nested(field, f"n{index}", names[field.model])]  # type: ignore[index]
    if not end:
        return lines
    if not nested:
        return [*lines, f"{indent}return d"]
    replaced = ", ".join(f"{field.name!r}: n{index}" for index, field in enumerate(nested))
    return [*lines, f"{indent}return {{**d, {replaced}}}"]


def _test(field: _Field, strict: bool) -> str | None:
    """An expression true when the field's value rules the fast path out; None when any value is written alike."""
    key = f"d[{field.name!r}]"
    if field.kind in _NESTED:
        return None  # checked by `_nested`
    if field.kind == "int" and not strict:
        test = "type({x}) is bool"
    elif field.kind == "datetime":
        test = "type(x := {x}) is not datetime or ((z := x.tzinfo) is not None and z not in ZONES and not zone_ok(z))"
    elif field.kind == "list":
        if not strict:
            return None
        test = f"type(x := {{x}}) is not list or countOf(map(type, x), {field.item}) != len(x)"
    elif field.kind in ("float", "int") or strict:
        test = f"type({{x}}) is not {field.kind}"
    else:
        return None  # str and bool: written alike whatever they hold
    if field.optional:
        return f"((x := {key}) is not None and ({test.format(x='x').replace('x := x', 'x')}))"
    return f"({test.format(x=key)})"


def _nested(field: _Field, var: str, function: str) -> list[str]:
    """Statements replacing a nested model (or a list of them) by what orjson is to write for it, in `var`."""
    cls = f"{function}_cls"
    if field.kind == "model":
        check, convert = f"type({var}) is not {cls}", f"{var} = {function}({var})"
    else:
        check = f"type({var}) is not list or countOf(map(type, {var}), {cls}) != len({var})"
        convert = f"{var} = list(map({function}, {var}))"
    body = [f"if {check}:", "    raise Refused", convert]
    if field.optional:
        return [f"{var} = d[{field.name!r}]", f"if {var} is not None:", *(f"    {line}" for line in body)]
    return [f"{var} = d[{field.name!r}]", *body]


_DICT = attrgetter("__dict__")
_BUILTINS = (type, len, bool, float, list, map)  # what the generated checks call on every row
_MINUTE = datetime.timedelta(minutes=1)
# Zones whose datetimes orjson writes as Pydantic does; bounded, as a server meets only a few offsets.
_ZONES: set[datetime.tzinfo] = {datetime.UTC}
_ZONE_LIMIT = 256


def _zone_ok(zone: datetime.tzinfo) -> bool:
    """True for a fixed offset in whole minutes (`datetime.timezone` or Pydantic's `TzInfo`); remembered."""
    if type(zone) not in (datetime.timezone, TzInfo):
        return False
    offset = zone.utcoffset(None)
    if offset is None or offset % _MINUTE:
        return False
    if len(_ZONES) < _ZONE_LIMIT:
        _ZONES.add(zone)
    return True

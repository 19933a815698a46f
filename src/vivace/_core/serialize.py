"""Stage 7, serialize: a function per route, built at startup, that turns the endpoint's result into bytes."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from vivace._core.model_json import build_fast_dump, orjson_dumps
from vivace._core.shapes import SharedBuilds, shape_key
from vivace._json_safe import json_safe
from vivace.encoders import jsonable_encoder
from vivace.exceptions import FastAPIError, ResponseValidationError

__all__ = ["ResponseOptions", "build_model_serializer", "dumps", "encode_plain"]

_ADAPTERS = SharedBuilds()  # response TypeAdapters by the shape of the declared type
_INF = float("inf")
_NEG_INF = float("-inf")


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
# PERF: the C encoder behind `_ENCODER`, built once: `JSONEncoder.encode` builds a new one on every call (~1.5 us
# on /hello). No circular-reference markers: what reaches `dumps` is plain data (checked by `_plain`) or
# jsonable_encoder's output, which are trees.
_make_c_encoder = getattr(json.encoder, "c_make_encoder", None)  # None on interpreters without the _json module
_C_ENCODE = (
    None if _make_c_encoder is None
    else _make_c_encoder(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, False)
)


def dumps(content: Any) -> bytes:
    """Exactly what Starlette's JSONResponse renders."""
    if _C_ENCODE is None:
        return _ENCODER.encode(content).encode()
    return "".join(_C_ENCODE(content, 0)).encode()


# What `_plain` finds, as bits: plain data; floats among it (json, not orjson, formats them as FastAPI does); and
# something that is not plain data, which wins over the others.
_PLAIN, _FLOATS, _NOT_PLAIN = 1, 2, 4


def _plain(value: Any, depth: int = 0) -> int:
    """Whether `value` is made only of JSON-native built-ins (so `jsonable_encoder` would return it unchanged), and
    whether floats are among them."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return _PLAIN
    if kind is float:
        return _PLAIN | _FLOATS if value == value and value not in (_INF, _NEG_INF) else _NOT_PLAIN
    if depth > 8:
        return _NOT_PLAIN
    # PERF: plain loops with the scalar test inlined, one per container kind (a shared loop after a separate pass
    # over the keys measured slower on /hello); a generator per container cost more than the test itself
    found = _PLAIN
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return _NOT_PLAIN
            item_kind = type(item)
            if not (item_kind is str or item_kind is int or item_kind is bool or item is None):
                found |= _plain(item, depth + 1)
        return found
    if kind is list:
        for item in value:
            item_kind = type(item)
            if not (item_kind is str or item_kind is int or item_kind is bool or item is None):
                found |= _plain(item, depth + 1)
        return found
    return _NOT_PLAIN


def encode_plain(content: Any) -> bytes:
    """The result of an endpoint without a response model, as FastAPI's default JSONResponse would render it."""
    # PERF: dicts/lists of built-ins skip jsonable_encoder's type dispatch (about 3x faster on /hello-sized data).
    if type(content) is dict:
        # PERF: `_plain`'s dict loop, inlined for the common answer (a dict of scalars): one call less (/hello: -0.9k)
        plain = _PLAIN
        for key, item in content.items():
            if type(key) is not str:
                plain = _NOT_PLAIN
                break
            kind = type(item)
            if not (kind is str or kind is int or kind is bool or item is None):
                plain |= _plain(item, 1)
    else:
        plain = _plain(content)
    # PERF: without floats orjson writes json.dumps's bytes (strings, ints, nesting: tests/core/test_plain_json.py);
    # floats differ in exponent notation (1e-07 against 1e-7), so they stay with json.
    if plain == _PLAIN and orjson_dumps is not None:
        try:
            return orjson_dumps(content)
        except TypeError:  # an int beyond 64 bits, a lone surrogate: json writes the one and fails on the other
            pass
    data = jsonable_encoder(content) if plain & _NOT_PLAIN else content
    try:
        return dumps(data)
    except UnicodeEncodeError:
        raise  # a lone surrogate in the result: the application's own error, a 500 as in Starlette
    except ValueError:
        # NOTE: NaN and infinities (a float query parameter accepts "nan", "inf" and "1e400") have no JSON form;
        # they are written as null, as Pydantic writes them for routes with a response model. FastAPI fails (500).
        return dumps(json_safe(data, non_finite_as_text=False))


class ResponseOptions:
    """response_model_* options of a route."""

    __slots__ = ("by_alias", "exclude", "exclude_defaults", "exclude_none", "exclude_unset", "include")

    def __init__(
        self,
        *,
        include: Any = None,
        exclude: Any = None,
        by_alias: bool = True,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
    ) -> None:
        self.include = include
        self.exclude = exclude
        self.by_alias = by_alias
        self.exclude_unset = exclude_unset
        self.exclude_defaults = exclude_defaults
        self.exclude_none = exclude_none

    def is_default(self) -> bool:
        """True when no option filters fields (aliases do not matter: fast writers are only built without them)."""
        return (
            self.include is None and self.exclude is None
            and not (self.exclude_unset or self.exclude_defaults or self.exclude_none)
        )

    def as_kwargs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def response_adapter(response_model: Any) -> TypeAdapter[Any]:
    """The adapter validating and writing `response_model`, shared by every route declaring the same type.

    PERF: a route's type is checked when it is declared and its writer built when it is compiled, and many routes
    return the same model (`list[Item]`, `Item`): one TypeAdapter (about 0.3 ms each) serves them all.
    """
    try:
        return _ADAPTERS.get(("response", shape_key(response_model)), lambda: _build_adapter(response_model))
    except Exception as exc:  # Pydantic raises several error kinds for unusable types
        raise FastAPIError(
            "Invalid args for response field! Hint: check that "
            f"{response_model} is a valid Pydantic field type. If you are using a return type annotation that "
            "is not a valid Pydantic field (e.g. Union[Response, dict, None]) you can disable generating the "
            "response model from the type annotation with the path operation decorator parameter "
            "response_model=None."
        ) from exc


def _build_adapter(response_model: Any) -> TypeAdapter[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TypeAdapter(response_model)


def build_model_serializer(
    response_model: Any, options: ResponseOptions, endpoint_ctx: dict[str, Any], *, to_json: bool
) -> Callable[[Any], Any]:
    """Validate the result against `response_model`, then dump it (to JSON bytes, or to JSON-able Python)."""
    adapter = response_adapter(response_model)
    validate = adapter.validate_python
    # PERF: no serializer warnings (a documented difference): they fire only for values that bypassed validation
    # (model_construct, unvalidated assignment), checking for them costs about 20% of dumping a list of models,
    # and the orjson writer below could not give them without checking every value.
    kwargs = {**options.as_kwargs(), "warnings": False}
    dump: Callable[..., Any] = adapter.dump_json if to_json else adapter.dump_python
    if not to_json:
        kwargs["mode"] = "json"

    def validated(content: Any) -> Any:
        try:
            return validate(content, from_attributes=True)
        except ValidationError as exc:
            errors = [{**e, "loc": ("response", *e["loc"])} for e in exc.errors(include_url=False)]
            # NOTE: `errors` by keyword, as FastAPI passes it: the exception's args stay empty (its repr shows that)
            raise ResponseValidationError(errors=errors, body=content, endpoint_ctx=endpoint_ctx) from None  # type: ignore[arg-type]

    # NOTE: the writers' names are what `vivace routes --plans` shows as the route's serializer
    fast = build_fast_dump(response_model) if to_json and options.is_default() else None
    if fast is None:

        def pydantic_writer(content: Any) -> Any:
            return dump(validated(content), **kwargs)

        return pydantic_writer
    write, trusted = fast

    def orjson_writer(content: Any) -> Any:
        # Exact instances of the model come out of validation unchanged, so when `trusted` they may skip it.
        written = write(content) if trusted else None
        if written is not None:
            return written
        value = validated(content)
        written = write(value) if value is not content or not trusted else None
        return dump(value, **kwargs) if written is None else written

    return orjson_writer

"""Stage 7, serialize: a function per route, built at startup, that turns the endpoint's result into bytes."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from vivace.encoders import jsonable_encoder
from vivace.exceptions import FastAPIError, ResponseValidationError

__all__ = ["ResponseOptions", "build_model_serializer", "dumps", "encode_plain"]

_PLAIN_SCALARS = (str, int, bool, type(None))


# PERF: one encoder built once; `json.dumps` with options builds a new JSONEncoder per call (~3 us on /hello).
_render = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode


def dumps(content: Any) -> bytes:
    """Exactly what Starlette's JSONResponse renders."""
    return _render(content).encode()


def _is_plain(value: Any, depth: int = 0) -> bool:
    """True when `value` is made only of JSON-native built-ins, so `jsonable_encoder` would return it unchanged."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return True
    if kind is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if depth > 8:
        return False
    if kind is dict:
        return all(type(k) is str and _is_plain(v, depth + 1) for k, v in value.items())
    if kind is list:
        return all(_is_plain(v, depth + 1) for v in value)
    return False


def encode_plain(content: Any) -> bytes:
    """The result of an endpoint without a response model, as FastAPI's default JSONResponse would render it."""
    # PERF: dicts/lists of built-ins skip jsonable_encoder's type dispatch (about 3x faster on /hello-sized data).
    if _is_plain(content):
        return dumps(content)
    return dumps(jsonable_encoder(content))


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

    def as_kwargs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def response_adapter(response_model: Any) -> TypeAdapter[Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return TypeAdapter(response_model)
    except Exception as exc:  # Pydantic raises several error kinds for unusable types
        raise FastAPIError(
            "Invalid args for response field! Hint: check that "
            f"{response_model} is a valid Pydantic field type. If you are using a return type annotation that "
            "is not a valid Pydantic field (e.g. Union[Response, dict, None]) you can disable generating the "
            "response model from the type annotation with the path operation decorator parameter "
            "response_model=None."
        ) from exc


def build_model_serializer(
    response_model: Any, options: ResponseOptions, endpoint_ctx: dict[str, Any], *, to_json: bool
) -> Callable[[Any], Any]:
    """Validate the result against `response_model`, then dump it (to JSON bytes, or to JSON-able Python)."""
    adapter = response_adapter(response_model)
    validate = adapter.validate_python
    # PERF: the value was just validated against this very schema, so the serializer's type-mismatch warnings
    # cannot fire; checking for them anyway costs about 20% of dumping a list of models.
    kwargs = {**options.as_kwargs(), "warnings": False}
    dump: Callable[..., Any] = adapter.dump_json if to_json else adapter.dump_python
    if not to_json:
        kwargs["mode"] = "json"

    def serialize(content: Any) -> Any:
        try:
            value = validate(content, from_attributes=True)
        except ValidationError as exc:
            errors = [{**e, "loc": ("response", *e["loc"])} for e in exc.errors(include_url=False)]
            raise ResponseValidationError(errors, body=content, endpoint_ctx=endpoint_ctx) from None  # type: ignore[arg-type]
        return dump(value, **kwargs)

    return serialize

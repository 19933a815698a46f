"""Small public helpers that FastAPI exposes in `fastapi.utils` and that applications import."""

import re
import warnings
from collections.abc import Collection
from typing import Any, Literal, Protocol

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from vivace._compat.v2 import ModelField
from vivace.datastructures import DefaultPlaceholder, DefaultType
from vivace.exceptions import FastAPIDeprecationWarning, FastAPIError

# OpenAPI response keys that name a range or the default; they may always carry a body.
_STATUS_CODE_PATTERNS = frozenset({"default", "1XX", "2XX", "3XX", "4XX", "5XX"})
_NO_BODY_STATUS_CODES = frozenset({204, 205, 304})
_PATH_PARAM = re.compile("{(.*?)}")
_NON_WORD = re.compile(r"\W")


class _NamedRoute(Protocol):
    """What `generate_unique_id` reads from a route."""

    @property
    def name(self) -> str: ...
    @property
    def path_format(self) -> str: ...
    @property
    def methods(self) -> Collection[str] | None: ...


def is_body_allowed_for_status_code(status_code: int | str | None) -> bool:
    """Whether a response with this status code may have a body (no for 1xx, 204, 205 and 304)."""
    if status_code is None or status_code in _STATUS_CODE_PATTERNS:
        return True
    code = int(status_code)
    return code >= 200 and code not in _NO_BODY_STATUS_CODES


def get_path_param_names(path: str) -> set[str]:
    """The names between braces in a path template: `"/items/{item_id}"` -> `{"item_id"}`."""
    return set(_PATH_PARAM.findall(path))


def generate_unique_id(route: _NamedRoute) -> str:
    """The default OpenAPI `operationId`: route name + path + first method, non-word chars as `_`."""
    assert route.methods, "a route needs at least one HTTP method to get an operation id"
    # NOTE: the "first" method of a multi-method route follows set order, as in FastAPI.
    method = next(iter(route.methods))
    return f"{_NON_WORD.sub('_', route.name + route.path_format)}_{method.lower()}"


def generate_operation_id_for_path(*, name: str, path: str, method: str) -> str:
    """Deprecated: build an operation id from a name, a path and a method."""
    warnings.warn(
        "generate_operation_id_for_path() is deprecated and unused; use generate_unique_id(route)",
        FastAPIDeprecationWarning,
        stacklevel=2,
    )
    return f"{_NON_WORD.sub('_', name + path)}_{method.lower()}"


def deep_dict_update(main_dict: dict[Any, Any], update_dict: dict[Any, Any]) -> None:
    """Merge `update_dict` into `main_dict` in place: dicts merge recursively, lists concatenate."""
    for key, value in update_dict.items():
        current = main_dict.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            deep_dict_update(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            main_dict[key] = current + value
        else:
            main_dict[key] = value


def get_value_or_default(
    first_item: DefaultPlaceholder | DefaultType, *extra_items: DefaultPlaceholder | DefaultType
) -> DefaultPlaceholder | DefaultType:
    """The first argument that is not a `DefaultPlaceholder`, else the first argument."""
    for item in (first_item, *extra_items):
        if not isinstance(item, DefaultPlaceholder):
            return item
    return first_item


def create_model_field(
    name: str,
    type_: Any,
    default: Any | None = PydanticUndefined,
    field_info: FieldInfo | None = None,
    alias: str | None = None,
    mode: Literal["validation", "serialization"] = "validation",
) -> ModelField:
    """A `ModelField` named `name`; a given `field_info` is used as it is (its own `annotation` is the type).

    Raises `FastAPIError` when `type_` is not a type Pydantic can validate.
    """
    if field_info is None:
        field_info = FieldInfo(annotation=type_, default=default, alias=alias)
    model_field = ModelField(field_info=field_info, name=name, mode=mode)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NOTE: schema warnings belong to the route that uses the field
            _ = model_field._type_adapter
    except Exception as exc:  # Pydantic raises several error kinds for unusable types
        raise FastAPIError(_invalid_field_message(type_)) from exc
    return model_field


def _invalid_field_message(type_: Any) -> str:
    return (
        f"Invalid args for response field! Hint: check that {type_} is a valid Pydantic field type. If you are "
        "using a return type annotation that is not a valid Pydantic field (e.g. Union[Response, dict, None]) you "
        "can disable generating the response model from the type annotation with the path operation decorator "
        "parameter response_model=None. Read more: https://fastapi.tiangolo.com/tutorial/response-model/"
    )

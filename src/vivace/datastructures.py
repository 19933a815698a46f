"""Request data structures: Starlette's, plus an `UploadFile` usable as a parameter annotation.

`DefaultPlaceholder` / `Default` mark a setting that was left at its default, so a router can
tell "not given" from "given, and equal to the default" when it merges app, router and route
settings.
"""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from pydantic import GetJsonSchemaHandler
from pydantic_core import CoreSchema, core_schema
from starlette.datastructures import URL as URL
from starlette.datastructures import Address as Address
from starlette.datastructures import FormData as FormData
from starlette.datastructures import Headers as Headers
from starlette.datastructures import QueryParams as QueryParams
from starlette.datastructures import State as State
from starlette.datastructures import UploadFile as StarletteUploadFile

DefaultType = TypeVar("DefaultType")


class UploadFile(StarletteUploadFile):
    """An uploaded file; annotate an endpoint parameter with it to receive a multipart file.

    Starlette's form parser creates plain Starlette `UploadFile` objects: validation accepts
    them as they are, so the type only adds Pydantic support (validation and JSON Schema).
    """

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: Callable[[Any], CoreSchema]
    ) -> CoreSchema:
        return core_schema.with_info_plain_validator_function(_validate_upload_file)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        # OpenAPI 3.1 describes a binary file as a string with a media type.
        return {"type": "string", "contentMediaType": "application/octet-stream"}


def _validate_upload_file(value: Any, info: core_schema.ValidationInfo) -> UploadFile:
    if not isinstance(value, StarletteUploadFile):
        # NOTE: the message text is part of the 422 body clients see; it matches FastAPI's.
        raise ValueError(f"Expected UploadFile, received: {type(value)}")
    return cast(UploadFile, value)


class DefaultPlaceholder:
    """Wraps a default setting value so that code can detect that it was not set explicitly."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return bool(self.value)

    # NOTE: defining __eq__ leaves the class unhashable, as FastAPI's is.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, DefaultPlaceholder) and other.value == self.value

    def __repr__(self) -> str:
        return f"Default({self.value!r})"


def Default(value: DefaultType) -> DefaultType:  # FastAPI's public name, capitalised like a class
    """Mark `value` as a default; typed as the value itself so it fits any parameter annotation."""
    return cast(DefaultType, DefaultPlaceholder(value))


#: "not given" for settings whose default is None; FastAPI's name, imported by route-building extensions
_Unset: Any = Default(None)

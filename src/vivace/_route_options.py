"""The options every path-operation decorator accepts, defined once.

`get`, `post`, ... `api_route` and `add_api_route` take `**Unpack[RouteOptions]` instead of repeating ~25
keyword arguments in 16 signatures; editors still complete and type-check each option.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from starlette.routing import BaseRoute
from typing_extensions import TypedDict

from vivace.params import Depends

__all__ = ["RouteOptions"]


class RouteOptions(TypedDict, total=False):
    """Keyword options of a path operation (see the user guide for what each one does)."""

    response_model: Any
    status_code: int | None
    tags: list[str | Enum] | None
    dependencies: Sequence[Depends] | None
    summary: str | None
    description: str | None
    response_description: str
    responses: dict[int | str, dict[str, Any]] | None
    deprecated: bool | None
    operation_id: str | None
    response_model_include: Any
    response_model_exclude: Any
    response_model_by_alias: bool
    response_model_exclude_unset: bool
    response_model_exclude_defaults: bool
    response_model_exclude_none: bool
    include_in_schema: bool
    response_class: Any
    name: str | None
    callbacks: list[BaseRoute] | None
    openapi_extra: dict[str, Any] | None
    generate_unique_id_function: Callable[[Any], str]
    strict_content_type: bool
    max_body_size: int | None
    form_limits: dict[str, int | None] | None

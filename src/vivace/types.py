"""Type aliases that FastAPI exposes in `fastapi.types` (users import them for type hints)."""

import types
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.main import IncEx as IncEx

DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])
UnionType = types.UnionType
ModelNameMap = dict[type[BaseModel] | type[Enum], str]
# (dependency callable, sorted security scopes, dependency scope): what makes two uses one call.
DependencyCacheKey = tuple[Callable[..., Any] | None, tuple[str, ...], str]

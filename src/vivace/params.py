"""Parameter declarations: data only. The analyser reads them; nothing here runs per request.

`Path`, `Query`, `Header`, `Cookie`, `Body`, `Form` and `File` are Pydantic `FieldInfo` subclasses (so their
constraints feed validation and JSON Schema directly); `Depends` and `Security` describe dependencies.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Literal

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from typing_extensions import TypedDict, Unpack

from vivace.concurrency import _DependencyConcurrency
from vivace.exceptions import FastAPIDeprecationWarning

__all__ = ["Body", "Cookie", "Depends", "File", "Form", "Header", "Param", "ParamTypes", "Path", "Query", "Security"]

Undefined: Any = PydanticUndefined


class ParamTypes(Enum):
    query = "query"
    header = "header"
    path = "path"
    cookie = "cookie"


class FieldOptions(TypedDict, total=False):
    """Every option a parameter declaration accepts besides its default — written once, used by all kinds."""

    default_factory: Callable[[], Any] | None
    annotation: Any
    alias: str | None
    alias_priority: int | None
    validation_alias: Any
    serialization_alias: str | None
    title: str | None
    description: str | None
    gt: float | None
    ge: float | None
    lt: float | None
    le: float | None
    min_length: int | None
    max_length: int | None
    pattern: Any
    regex: str | None
    discriminator: Any
    strict: bool | None
    validate_default: bool | None
    union_mode: Literal["smart", "left_to_right"] | None
    fail_fast: bool | None
    multiple_of: float | None
    allow_inf_nan: bool | None
    max_digits: int | None
    decimal_places: int | None
    examples: list[Any] | None
    example: Any
    openapi_examples: dict[str, Any] | None
    deprecated: Any
    include_in_schema: bool
    json_schema_extra: dict[str, Any] | Callable[[dict[str, Any]], None] | None


# Attributes an explicit None still sets: `Query(alias=None)` beside `Field(alias="a")` in `Annotated` clears it.
_EXPLICIT_NONE = ("alias", "validation_alias", "serialization_alias", "title", "description", "examples",
                  "deprecated", "json_schema_extra", "discriminator", "validate_default")

# Options that mean "not given" when None; FieldInfo treats an explicit None as a real value for some of them.
_DROP_IF_NONE = frozenset(
    {"gt", "ge", "lt", "le", "min_length", "max_length", "pattern", "alias", "validation_alias",
     "serialization_alias", "title", "description", "examples", "default_factory", "deprecated",
     "discriminator", "strict", "validate_default", "union_mode", "fail_fast", "multiple_of",
     "allow_inf_nan", "max_digits", "decimal_places", "json_schema_extra", "alias_priority", "annotation"}
)


def _field_kwargs(default: Any, options: FieldOptions) -> dict[str, Any]:
    """Translate declaration options into FieldInfo keyword arguments (aliases mirrored as FastAPI does)."""
    opts: dict[str, Any] = dict(options)
    for name in ("example", "openapi_examples", "include_in_schema"):
        opts.pop(name, None)
    regex = opts.pop("regex", None)
    if regex is not None:
        warnings.warn("`regex` has been deprecated, please use `pattern` instead",
                      FastAPIDeprecationWarning, stacklevel=4)
        opts["pattern"] = opts.get("pattern") or regex
    alias = opts.get("alias")
    if isinstance(alias, str):
        opts.setdefault("serialization_alias", alias)
        if opts.get("validation_alias") is None:
            opts["validation_alias"] = alias
    kwargs = {k: v for k, v in opts.items() if not (v is None and k in _DROP_IF_NONE)}
    kwargs["default"] = default
    return kwargs


def _record_explicit_none(info: FieldInfo, options: FieldOptions) -> None:
    """Mark the attributes given as None as set, the way Pydantic's `Field()` does, so merging honours them."""
    given: dict[str, Any] = dict(options)
    explicit = {name: None for name in _EXPLICIT_NONE if name in given and given[name] is None}
    if "alias" in explicit and given.get("validation_alias") is None:
        explicit["validation_alias"] = None  # NOTE: an alias stands for the validation alias too, as when set
    info._attributes_set.update(explicit)


class _Declared(FieldInfo):  # type: ignore[misc]  # FieldInfo is @final for users; declarations extend it
    """Shared construction for every FieldInfo-based declaration."""

    def __init__(self, default: Any = Undefined, **options: Unpack[FieldOptions]) -> None:
        example = options.get("example", Undefined)
        if example is not Undefined:
            warnings.warn("`example` has been deprecated, please use `examples` instead",
                          FastAPIDeprecationWarning, stacklevel=4)
        self.example = example
        self.include_in_schema: bool = options.get("include_in_schema", True)
        self.openapi_examples: dict[str, Any] | None = options.get("openapi_examples")
        super().__init__(**_field_kwargs(default, options))
        _record_explicit_none(self, options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default})"


class Param(_Declared):  # type: ignore[misc]
    in_: ClassVar[ParamTypes] = ParamTypes.query  # NOTE: a bare `Param()` reads the query string, as in FastAPI


class Path(Param):  # type: ignore[misc]
    in_ = ParamTypes.path

    def __init__(self, default: Any = ..., **options: Unpack[FieldOptions]) -> None:
        if default is not ...:
            raise AssertionError("Path parameters cannot have a default value")
        super().__init__(default, **options)


class Query(Param):  # type: ignore[misc]
    in_ = ParamTypes.query


class Header(Param):  # type: ignore[misc]
    in_ = ParamTypes.header

    def __init__(
        self, default: Any = Undefined, *, convert_underscores: bool = True, **options: Unpack[FieldOptions]
    ) -> None:
        self.convert_underscores = convert_underscores
        super().__init__(default, **options)


class Cookie(Param):  # type: ignore[misc]
    in_ = ParamTypes.cookie


class Body(_Declared):  # type: ignore[misc]
    def __init__(
        self,
        default: Any = Undefined,
        *,
        embed: bool | None = None,
        media_type: str = "application/json",
        **options: Unpack[FieldOptions],
    ) -> None:
        self.embed = embed
        self.media_type = media_type
        super().__init__(default, **options)


class Form(Body):  # type: ignore[misc]
    def __init__(
        self, default: Any = Undefined, *, media_type: str = "application/x-www-form-urlencoded",
        **options: Unpack[FieldOptions],
    ) -> None:
        super().__init__(default, embed=True, media_type=media_type, **options)


class File(Form):  # type: ignore[misc]
    def __init__(
        self, default: Any = Undefined, *, media_type: str = "multipart/form-data", **options: Unpack[FieldOptions]
    ) -> None:
        super().__init__(default, media_type=media_type, **options)


@dataclass(frozen=True)
class Depends:
    """A dependency: `dependency` is called per request (or per app with scope="app") and its result injected."""

    dependency: Callable[..., Any] | None = None
    use_cache: bool = True
    scope: Literal["function", "request", "app"] | None = None
    max_concurrency: int | None = field(default=None, kw_only=True)
    # NOTE: an init field so that `dataclasses.replace` (used to infer the callable from the annotation) keeps the
    # declaration's shared limit; compared by identity, so two equal-looking declarations stay apart in `Annotated`
    _concurrency: _DependencyConcurrency | None = field(default=None, kw_only=True, repr=False)

    def __post_init__(self) -> None:
        limit = self.max_concurrency
        if limit is None:
            object.__setattr__(self, "_concurrency", None)  # NOTE: Depends is a frozen dataclass
            return
        if type(limit) is not int or limit < 1:
            raise ValueError("max_concurrency must be a positive integer or None")
        shared = self._concurrency
        if shared is None or shared.max_concurrency != limit:  # a copy with another limit counts on its own
            object.__setattr__(self, "_concurrency", _DependencyConcurrency(limit))


@dataclass(frozen=True)
class Security(Depends):
    """A dependency that also declares OAuth2 scopes (collected into `SecurityScopes`)."""

    scopes: Sequence[str] | None = None

"""`Query()`, `Path()`, `Depends()`…: the functions users call in signatures; each builds a declaration."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from typing_extensions import Unpack

from vivace import params
from vivace.params import FieldOptions, Undefined

__all__ = ["Body", "Cookie", "Depends", "File", "Form", "Header", "Path", "Query", "Security"]


def Path(default: Any = ..., **options: Unpack[FieldOptions]) -> Any:
    """A path parameter (always required)."""
    return params.Path(default, **options)


def Query(default: Any = Undefined, **options: Unpack[FieldOptions]) -> Any:
    """A query-string parameter."""
    return params.Query(default, **options)


def Header(
    default: Any = Undefined, *, convert_underscores: bool = True, **options: Unpack[FieldOptions]
) -> Any:
    """A request header; `convert_underscores` maps `user_agent` to `user-agent`."""
    return params.Header(default, convert_underscores=convert_underscores, **options)


def Cookie(default: Any = Undefined, **options: Unpack[FieldOptions]) -> Any:
    """A cookie value."""
    return params.Cookie(default, **options)


def Body(
    default: Any = Undefined,
    *,
    embed: bool | None = None,
    media_type: str = "application/json",
    **options: Unpack[FieldOptions],
) -> Any:
    """A JSON body value; `embed=True` expects it under its name inside the body object."""
    return params.Body(default, embed=embed, media_type=media_type, **options)


def Form(
    default: Any = Undefined, *, media_type: str = "application/x-www-form-urlencoded", **options: Unpack[FieldOptions]
) -> Any:
    """A form field."""
    return params.Form(default, media_type=media_type, **options)


def File(
    default: Any = Undefined, *, media_type: str = "multipart/form-data", **options: Unpack[FieldOptions]
) -> Any:
    """An uploaded file (as `bytes` or `UploadFile`)."""
    return params.File(default, media_type=media_type, **options)


def Depends(
    dependency: Callable[..., Any] | None = None,
    *,
    use_cache: bool = True,
    scope: Literal["function", "request", "app"] | None = None,
    max_concurrency: int | None = None,
) -> Any:
    """Inject the result of `dependency`; with no argument, the annotated class is the dependency."""
    return params.Depends(dependency, use_cache=use_cache, scope=scope, max_concurrency=max_concurrency)


def Security(
    dependency: Callable[..., Any] | None = None,
    *,
    scopes: Sequence[str] | None = None,
    use_cache: bool = True,
) -> Any:
    """Like `Depends`, also requiring OAuth2 `scopes` (visible to the dependency through `SecurityScopes`)."""
    return params.Security(dependency, use_cache=use_cache, scopes=scopes)

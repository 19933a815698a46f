"""Errors a dependency declares once, documented on every operation that uses it: `@raises(...)`.

A dependency that may stop a request with an `HTTPException` (a missing token's 401, a permission check's 403)
says so where it is written:

    @raises(403, model=Problem, description="The user may not see this note")
    def note_owner(...): ...

and every operation whose dependency tree holds it, at any depth and from the route, a router or the app,
lists that response in the OpenAPI document: with `model`, a JSON body whose schema is the model's (a component
under `#/components/schemas/`, as a route's `responses={403: {"model": Problem}}` gives). Nothing changes at
request time: the declaration is read when the document is built.

It sets the `__openapi_responses__` attribute that `vivace.openapi` reads on dependency callables (see
`vivace/openapi/_dependency_responses.py`); a response the route declares itself for the same status wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from vivace.openapi._dependency_responses import ATTRIBUTE

__all__ = ["declared_responses", "raises"]

T = TypeVar("T")


def raises(
    status_code: int | str,
    *,
    model: Any = None,
    description: str | None = None,
    headers: Mapping[str, Any] | None = None,
    examples: Mapping[str, Any] | None = None,
) -> Callable[[T], T]:
    """Declare that the decorated dependency may answer `status_code` (an int, "4XX" or "default").

    `model` (a Pydantic model or any type Pydantic can describe) gives the JSON body's schema;
    `description` defaults to the status phrase; `headers` and `examples` are OpenAPI Header and Example Objects.
    Stack several `@raises` for several statuses; declaring one status twice on one callable is an error.
    """
    response: dict[str, Any] = {}
    if description:
        response["description"] = description
    if headers:
        response["headers"] = dict(headers)
    if model is not None:
        response["model"] = model
    if examples:
        response["content"] = {"application/json": {"examples": dict(examples)}}

    def declare(dependency: T) -> T:
        declared = _own_declarations(dependency)
        key = _key(status_code)
        if any(_key(status) == key for status in declared):
            raise ValueError(f"{_name(dependency)} already declares the status {key}")
        # NOTE: decorators apply bottom-up; putting each in front lists them in the order they are written
        try:
            setattr(dependency, ATTRIBUTE, {status_code: response, **declared})
        except (AttributeError, TypeError):
            raise TypeError(
                f"@raises cannot record a response on {_name(dependency)}: wrap it in a function of your own"
            ) from None
        return dependency

    return declare


def declared_responses(dependency: Any) -> dict[int | str, dict[str, Any]]:
    """The responses `dependency` declares (a copy; empty when it declares none)."""
    return {status: dict(response) for status, response in _own_declarations(dependency).items()}


def _own_declarations(dependency: Any) -> dict[int | str, dict[str, Any]]:
    existing = getattr(dependency, ATTRIBUTE, None)
    if existing is None:
        return {}
    if not isinstance(existing, Mapping):
        raise TypeError(f"{_name(dependency)}.{ATTRIBUTE} is not a mapping of responses")
    # NOTE: a copy: a class inherits its base's mapping, and a subclass's declaration must not change the base
    return dict(existing)


def _key(status: int | str) -> str:
    return str(status).upper()


def _name(dependency: Any) -> str:
    return getattr(dependency, "__qualname__", None) or type(dependency).__qualname__

"""Responses a dependency declares for every operation that uses it: `__openapi_responses__`.

A dependency that can answer on its own (a rate limiter's 429, an authentication check's 401) may carry an
`__openapi_responses__` attribute: a mapping from status code (`429`, `"4XX"`, `"default"`) to an OpenAPI
Response Object written as a plain dict, as in a route's `responses={...}` (`model` included: its schema becomes
the `application/json` body's; `vivace.declared_errors.raises` writes such entries). The attribute is
read on the callable given to `Depends(...)` (a function, or an instance whose class defines it, possibly as a
property) when the OpenAPI document is built, never per request.

Every operation whose dependency tree holds such a dependency, at any depth and whether it comes from the route,
its routers or the app, documents those responses. A response the route declares itself for the same status
wins; between dependencies, the first one met wins (declaration order, depth first). Apps whose dependencies
declare nothing get the same document as before.
"""

from __future__ import annotations

import copy
import http.client
import inspect
from collections.abc import Mapping
from functools import partial
from typing import Any

from vivace._core.signature import Dependant

__all__ = ["ATTRIBUTE", "add_dependency_responses", "dependency_response_models", "dependency_responses"]

ATTRIBUTE = "__openapi_responses__"


def _declared(node: Dependant) -> Mapping[Any, Any] | None:
    """The responses of one dependency, read from the callable as declared (before any override)."""
    call: Any = node.original_call if node.original_call is not None else node.call
    while isinstance(call, partial):
        call = call.func
    if inspect.isroutine(call):
        call = inspect.unwrap(call)
    declared = getattr(call, ATTRIBUTE, None)
    # NOTE: a class used as a dependency with a property of that name gives the property object: not a mapping
    return declared if isinstance(declared, Mapping) else None


def _status_key(status: int | str) -> str:
    key = str(status).upper()
    return "default" if key == "DEFAULT" else key


def _declarations(dependant: Dependant) -> dict[str, Mapping[str, Any]]:
    """The declarations below `dependant` (not its own) as written, by document key, the first of a status winning."""
    found: dict[str, Mapping[str, Any]] = {}
    stack = list(reversed(dependant.dependencies))
    while stack:
        node = stack.pop()
        for status, response in (_declared(node) or {}).items():
            found.setdefault(_status_key(status), response)
        stack.extend(reversed(node.dependencies))
    return found


def dependency_responses(dependant: Dependant) -> dict[str, dict[str, Any]]:
    """Every response declared below `dependant` (not by it), keyed as the document keys them, the first
    declaration of a status winning; each is a copy without its `model`, with a description filled in."""
    return {key: _described(key, response) for key, response in _declarations(dependant).items()}


def dependency_response_models(dependant: Dependant) -> dict[str, Any]:
    """The `model` of each response declared below `dependant` that has one, by document key."""
    declared = _declarations(dependant).items()
    return {key: response["model"] for key, response in declared if response.get("model") is not None}


def _described(key: str, response: Mapping[str, Any]) -> dict[str, Any]:
    copied = copy.deepcopy({name: value for name, value in response.items() if name != "model"})
    if not copied.get("description"):
        text = http.client.responses.get(int(key)) if key.isdigit() else None
        copied["description"] = text or "Additional Response"
    return copied


def add_dependency_responses(
    responses: dict[str, Any], dependant: Dependant, schemas: Mapping[str, dict[str, Any]] | None = None
) -> None:
    """Add to an operation's `responses` those its dependencies declare, for statuses it does not document;
    `schemas` has the JSON Schema of each declared `model`, by document key."""
    for key, response in dependency_responses(dependant).items():
        if key in responses:
            continue
        schema = (schemas or {}).get(key)
        if schema is not None:
            content = response.setdefault("content", {}).setdefault("application/json", {})
            content["schema"] = {**content.get("schema", {}), **schema}
        responses[key] = response

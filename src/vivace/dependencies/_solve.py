"""`solve_dependencies`: resolve a `Dependant` tree against one request, the way an extension drives it.

vivace's own routes never come here: their trees are compiled into plans at startup (`_core/compile.py`) and
run by `_core/resolve.py`. Extensions that keep their own routes or re-solve a route's dependencies per
request (API versioning, dependency-injected callbacks) call this instead; it walks the tree each time,
applies `dependency_overrides` from the provider it is given, caches values per request, and enters `yield`
dependencies into the exit stack the caller owns.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticUndefined
from starlette.background import BackgroundTasks as StarletteBackgroundTasks
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from vivace._core.signature import analyse
from vivace.background import BackgroundTasks
from vivace.concurrency import contextmanager_in_threadpool, run_in_threadpool
from vivace.dependencies._body import request_body_to_args
from vivace.dependencies._params import request_params_to_args
from vivace.dependencies.models import (
    Dependant,
    _is_async_gen_callable,
    _is_coroutine_callable,
    _is_gen_callable,
)
from vivace.security.oauth2 import SecurityScopes
from vivace.utils import get_path_param_names

__all__ = ["SolvedDependency", "solve_dependencies"]

#: the exit stacks FastAPI keeps in the scope: one closed right after the endpoint (`Depends(scope="function")`),
#: one closed after the response is sent (every other `yield` dependency)
FUNCTION_STACK_KEY = "fastapi_function_astack"
REQUEST_STACK_KEY = "fastapi_inner_astack"


@dataclass
class SolvedDependency:
    """What solving gave: the keyword arguments for the dependant's call, the errors, and the shared objects."""

    values: dict[str, Any]
    errors: list[Any]
    background_tasks: StarletteBackgroundTasks | None
    response: Response
    dependency_cache: dict[Any, Any]


def _blank_response() -> Response:
    """The response object dependencies may set headers and cookies on; no status until one is set."""
    response = Response()
    del response.headers["content-length"]
    response.status_code = None  # type: ignore[assignment]
    return response


def _overridden(sub: Dependant, provider: Any) -> Dependant:
    """`sub`, or a fresh analysis of its override when the provider's `dependency_overrides` names it."""
    overrides = getattr(provider, "dependency_overrides", None)
    original = sub.original_call or sub.call
    if not overrides or original not in overrides:
        return sub
    replaced = analyse(
        overrides[original], path=sub.path, path_param_names=frozenset(get_path_param_names(sub.path)),
        name=sub.name, use_cache=sub.use_cache, scope=sub.scope, own_scopes=sub.own_oauth_scopes,
        parent_scopes=sub.parent_oauth_scopes, is_security=sub.is_security, overrides=overrides,
    )
    replaced.original_call = original
    return replaced


async def _call(sub: Dependant, values: dict[str, Any], request: HTTPConnection, stack: AsyncExitStack) -> Any:
    call = sub.call
    assert call is not None, "a dependency needs a callable"
    if _is_async_gen_callable(call):
        cleanup = _function_stack(sub, request, stack)
        return await cleanup.enter_async_context(asynccontextmanager(call)(**values))
    if _is_gen_callable(call):
        cleanup = _function_stack(sub, request, stack)
        return await cleanup.enter_async_context(contextmanager_in_threadpool(contextmanager(call)(**values)))
    if _is_coroutine_callable(call):
        return await call(**values)
    return await run_in_threadpool(call, **values)


def _function_stack(sub: Dependant, request: HTTPConnection, stack: AsyncExitStack) -> AsyncExitStack:
    """The stack a `yield` dependency's cleanup goes on: the scope's stack for its kind, else `stack`.

    NOTE: FastAPI requires the scope stacks and fails without them; vivace's routes keep their exit stacks in
    the plan runner, so a request solved here may have none, and the caller's stack serves instead.
    """
    key = FUNCTION_STACK_KEY if sub.scope == "function" else REQUEST_STACK_KEY
    own = request.scope.get(key)
    return own if isinstance(own, AsyncExitStack) else stack


def _specials(
    dependant: Dependant, request: HTTPConnection, response: Response, tasks: StarletteBackgroundTasks | None
) -> tuple[dict[str, Any], StarletteBackgroundTasks | None]:
    values: dict[str, Any] = {}
    if dependant.request_param_name and isinstance(request, Request):
        values[dependant.request_param_name] = request
    if dependant.websocket_param_name and isinstance(request, WebSocket):
        values[dependant.websocket_param_name] = request
    if dependant.http_connection_param_name:
        values[dependant.http_connection_param_name] = request
    if dependant.response_param_name:
        values[dependant.response_param_name] = response
    if dependant.background_tasks_param_name:
        tasks = tasks if tasks is not None else BackgroundTasks()
        values[dependant.background_tasks_param_name] = tasks
    if dependant.security_scopes_param_name:
        values[dependant.security_scopes_param_name] = SecurityScopes(scopes=list(dependant.security_scopes))
    return values, tasks


async def solve_dependencies(
    *,
    request: Request | WebSocket,
    dependant: Dependant,
    body: Any = PydanticUndefined,
    background_tasks: StarletteBackgroundTasks | None = None,
    response: Response | None = None,
    dependency_overrides_provider: Any | None = None,
    dependency_cache: dict[Any, Any] | None = None,
    async_exit_stack: AsyncExitStack,
    embed_body_fields: bool,
    _uses_scopes_cache: dict[int, Any] | None = None,
) -> SolvedDependency:
    """Resolve every sub-dependency, then this node's own parameters, from `request` and the parsed `body`.

    A sub-dependency whose inputs fail validation is not called; its errors are reported with the others.
    """
    response = response if response is not None else _blank_response()
    cache = dependency_cache if dependency_cache is not None else {}
    values: dict[str, Any] = {}
    errors: list[Any] = []
    for declared in dependant.dependencies:
        sub = _overridden(declared, dependency_overrides_provider)
        solved = await solve_dependencies(
            request=request, dependant=sub, body=body, background_tasks=background_tasks, response=response,
            dependency_overrides_provider=dependency_overrides_provider, dependency_cache=cache,
            async_exit_stack=async_exit_stack, embed_body_fields=embed_body_fields,
        )
        background_tasks = solved.background_tasks
        if solved.errors:
            errors.extend(solved.errors)
            continue
        key = sub.cache_key
        if sub.use_cache and key in cache:
            value = cache[key]
        else:
            value = await _call(sub, solved.values, request, async_exit_stack)
            cache.setdefault(key, value)
        if sub.name is not None:
            values[sub.name] = value
    errors.extend(_own_params(dependant, request, values))
    if dependant.body_params:
        body_values, body_errors = await request_body_to_args(dependant.body_params, body, embed_body_fields)
        values.update(body_values)
        errors.extend(body_errors)
    specials, background_tasks = _specials(dependant, request, response, background_tasks)
    values.update(specials)
    return SolvedDependency(values, errors, background_tasks, response, cache)


def _own_params(dependant: Dependant, request: HTTPConnection, values: dict[str, Any]) -> list[Any]:
    errors: list[Any] = []
    sources: list[tuple[list[Any], Callable[[], Any]]] = [
        (dependant.path_params, lambda: request.path_params),
        (dependant.query_params, lambda: request.query_params),
        (dependant.header_params, lambda: request.headers),
        (dependant.cookie_params, lambda: request.cookies),
    ]
    for fields, source in sources:
        if fields:
            found, found_errors = request_params_to_args(fields, source())
            values.update(found)
            errors.extend(found_errors)
    return errors

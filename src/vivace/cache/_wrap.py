"""The cached endpoint: the user's endpoint behind a function whose signature asks vivace for what the cache needs.

vivace analyses an endpoint's signature once, at startup. The wrapper shows it the endpoint's own parameters
(so validation, OpenAPI and dependencies are unchanged) plus a few keyword-only ones of the cache's: the
`Request` (for the key), the injected `Response` (headers and status set by dependencies), the user-key
dependency, and the store's app-scoped connection. The wrapper returns a `Response`, which vivace sends as it is.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from vivace.concurrency import run_in_threadpool
from vivace.params import Depends

__all__ = ["Server", "wrap_endpoint"]

REQUEST = "_vivace_cache_request"
RESPONSE = "_vivace_cache_response"
USER = "_vivace_cache_user"
STORE = "_vivace_cache_store"

Compute = Callable[[], Awaitable[Any]]


class Server(Protocol):
    """What the wrapper calls per request (a `CachePolicy`)."""

    user: Depends | None

    def lifespan(self) -> Callable[..., Any] | None: ...

    @property
    def serve(self) -> Callable[[Compute, Request, Response, Any], Awaitable[Any]]: ...


def wrap_endpoint(endpoint: Callable[..., Any], server: Server) -> Callable[..., Any]:
    """`endpoint` behind the cache; its signature is the endpoint's plus the cache's keyword-only parameters."""
    if inspect.isgeneratorfunction(endpoint) or inspect.isasyncgenfunction(endpoint):
        raise TypeError(f"cannot cache {endpoint.__qualname__}: a streaming (generator) endpoint has no single body")
    signature = inspect.signature(endpoint)
    is_async = inspect.iscoroutinefunction(endpoint) or inspect.iscoroutinefunction(
        getattr(endpoint, "__call__", None)  # noqa: B004 - callable instances: their __call__ decides
    )

    serve = server.serve
    by_user = server.user is not None
    with_store = server.lifespan() is not None

    @functools.wraps(endpoint)
    async def cached_endpoint(*args: Any, **kwargs: Any) -> Any:
        request = kwargs.pop(REQUEST)
        sub = kwargs.pop(RESPONSE)
        user = kwargs.pop(USER) if by_user else None
        if with_store:
            del kwargs[STORE]
        # NOTE: the endpoint's call, made only on a miss
        if is_async:
            compute: Compute = functools.partial(endpoint, *args, **kwargs)
        else:
            compute = functools.partial(run_in_threadpool, endpoint, *args, **kwargs)
        return await serve(compute, request, sub, user)

    cached_endpoint.__signature__ = _with_cache_parameters(signature, server, endpoint)  # type: ignore[attr-defined]
    return cached_endpoint


def _with_cache_parameters(signature: inspect.Signature, server: Server, endpoint: Any) -> inspect.Signature:
    added = [
        inspect.Parameter(REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request),
        inspect.Parameter(RESPONSE, inspect.Parameter.KEYWORD_ONLY, annotation=Response),
    ]
    if server.user is not None:
        added.append(inspect.Parameter(USER, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[Any, server.user]))
    lifespan = server.lifespan()
    if lifespan is not None:
        store = Depends(lifespan, scope="app")
        added.append(inspect.Parameter(STORE, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[Any, store]))
    params = list(signature.parameters.values())
    clash = {param.name for param in params} & {param.name for param in added}
    if clash:
        raise TypeError(f"cannot cache {endpoint.__qualname__}: parameter names reserved by the cache: {clash}")
    # NOTE: keyword-only parameters go before a `**kwargs`, the only kind that must stay last
    at = len(params) - 1 if params and params[-1].kind is inspect.Parameter.VAR_KEYWORD else len(params)
    return signature.replace(parameters=[*params[:at], *added, *params[at:]])

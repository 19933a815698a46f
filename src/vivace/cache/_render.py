"""From an endpoint's result to the bytes the route would send, and from bytes back to a `Response`.

A cached endpoint must hand vivace a `Response` (that is how a hit skips the endpoint), so on a miss the cache
renders the result itself, exactly as the route would have: with the route's compiled serializer (response
model, include/exclude options, custom response class) and the status and headers set on the injected
`Response` parameter. The bytes are then identical with and without the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from vivace._core.send import body_allowed, response_start
from vivace.encoders import jsonable_encoder

__all__ = ["ReadyResponse", "Rendered", "render"]

Headers = list[tuple[bytes, bytes]]


class ReadyResponse(Response):
    """A response whose status, headers and body are already final: sent as they are.

    PERF: `Response.__init__` renders content and rebuilds the header list; a cache hit has both ready, and
    skipping that is ~1.5 µs of the few µs a 304 costs.
    """

    def __init__(self, status: int, headers: Headers, body: bytes, background: BackgroundTask | None = None) -> None:
        self.status_code = status
        self.raw_headers = headers
        self.body = body
        self.background = background


@dataclass(slots=True)
class Rendered:
    """What the route sends for one result; `response` is the object to hand vivace when it is not stored."""

    status: int
    headers: Headers
    body: bytes
    response: Response


def render(result: Any, scope: Scope, sub: Response | None) -> Rendered | None:
    """The route's answer for `result`; None for answers that cannot be kept (streamed or file responses)."""
    if isinstance(result, Response):
        body = getattr(result, "body", None)  # NOTE: streaming and file responses have no body attribute
        if not isinstance(body, bytes | memoryview):
            return None
        return Rendered(result.status_code, list(result.raw_headers), bytes(body), result)
    plan = getattr(scope.get("route"), "served_plan", None)
    status = sub.status_code if sub is not None and sub.status_code else None
    if plan is None:  # NOTE: not a vivace path operation (a plain Starlette route): JSON, as FastAPI encodes it
        return _from_response(JSONResponse(jsonable_encoder(result), status_code=status or 200), sub)
    status = status or plan.status_code
    if plan.serialize is None:  # a custom response class renders the encoded value
        response = plan.response_class(plan.encode(result), **({} if status is None else {"status_code": status}))
        if not body_allowed(response.status_code):
            response.body = b""
        return _from_response(response, sub)
    start, body = response_start(status or 200, plan.media_type, plan.serialize(result), sub)
    headers: Headers = start["headers"]
    return Rendered(start["status"], headers, body, ReadyResponse(start["status"], headers, body))


def _from_response(response: Response, sub: Response | None) -> Rendered:
    if sub is not None:
        response.raw_headers.extend(sub.raw_headers)
    return Rendered(response.status_code, response.raw_headers, bytes(response.body), response)

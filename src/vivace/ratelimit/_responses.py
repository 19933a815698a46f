"""How a limiter's answers look on the wire and in the OpenAPI document.

Headers follow draft-ietf-httpapi-ratelimit-headers-11 (May 2026): `RateLimit-Policy: "name";q=<limit>;w=<period>`
names the quota and its window; `RateLimit: "name";r=<remaining>;t=<seconds>` says how many requests the
client may make right now and, on an admitted request, in how many seconds its whole quota is back (on a
refused one, `t` equals `Retry-After`, which the draft says must not end before the effective window does).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR_SCHEMA", "openapi_responses"]

# FastAPI's error shape, `{"detail": "..."}`, written out: dependencies declare plain Response Objects.
ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPError",
    "type": "object",
    "properties": {"detail": {"title": "Detail", "type": "string"}},
    "required": ["detail"],
}


def _header(description: str, schema: dict[str, Any], example: Any) -> dict[str, Any]:
    return {"description": description, "schema": schema, "example": example}


def openapi_responses(policy: str, refused: str, wait: int, fail_closed: bool) -> dict[int, dict[str, Any]]:
    """The responses a limiter adds to every operation that uses it (see `vivace.openapi` dependency responses)."""
    json_error = {"application/json": {"schema": ERROR_SCHEMA}}
    responses: dict[int, dict[str, Any]] = {
        429: {
            "description": "Too Many Requests: the rate limit is used up",
            "headers": {
                "Retry-After": _header(
                    "Seconds to wait before the next request can be admitted", {"type": "integer"}, wait
                ),
                "RateLimit-Policy": _header("The quota and its window in seconds", {"type": "string"}, policy),
                "RateLimit": _header(
                    "Requests left now (none) and seconds until the next one is admitted", {"type": "string"}, refused
                ),
            },
            "content": json_error,
        }
    }
    if fail_closed:
        responses[503] = {
            "description": "Service Unavailable: the rate limit cannot be checked right now",
            "headers": {"Retry-After": _header("Seconds to wait before trying again", {"type": "integer"}, 1)},
            "content": json_error,
        }
    return responses

"""What every shared-state backend (channels, rate limits, caches) has in common, whatever its store.

A backend that loses its store raises `BackendUnavailable`; the feature above it decides what a request sees:
the 503 of `unavailable()`, or a documented fallback (a rate limiter may fail open). Memory backends never raise
it. This module imports no client library, so features can catch the error without Redis installed.
"""

from __future__ import annotations

from vivace.exceptions import HTTPException

__all__ = ["RETRY_AFTER_SECONDS", "BackendUnavailable", "unavailable"]

RETRY_AFTER_SECONDS = 1


class BackendUnavailable(RuntimeError):
    """The shared store could not be reached; `feature` names what needed it ("rate limiting", "cache")."""

    def __init__(self, feature: str, cause: BaseException | None = None) -> None:
        super().__init__(f"{feature}: the shared store is unavailable ({cause!r})")
        self.feature = feature


def unavailable(feature: str) -> HTTPException:
    """The 503 answer for a request whose feature lost its backend; the client may retry shortly."""
    return HTTPException(
        status_code=503,
        detail=f"{feature} is temporarily unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )

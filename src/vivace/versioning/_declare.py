"""What versioned APIs are declared with: `Version`, `Deprecation` and the `@version(...)` mark on endpoints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, TypeVar

__all__ = ["Deprecation", "RouteVersions", "Version", "route_versions", "version"]

F = TypeVar("F", bound=Callable[..., Any])

#: the attribute of an endpoint that holds its `@version(...)` mark
_MARK = "__vivace_api_version__"


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (say datetime(..., tzinfo=timezone.utc))")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Deprecation:
    """When something was (or will be) deprecated, when it goes away, and where to read about it.

    Answers carry `Deprecation: @<unix seconds>` (RFC 9745), `Sunset: <HTTP-date>` (RFC 8594) when `sunset` is
    given, and `Link: <link>; rel="deprecation"` when `link` is; the operations are `deprecated: true` in OpenAPI.
    """

    at: datetime
    sunset: datetime | None = None
    link: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _aware(self.at, "Deprecation.at"))
        if self.sunset is not None:
            object.__setattr__(self, "sunset", _aware(self.sunset, "Deprecation.sunset"))
            if self.sunset < self.at:
                raise ValueError("Deprecation.sunset comes before Deprecation.at")
        if self.link is not None and any(c in self.link for c in '<>"\r\n'):
            raise ValueError(f"Deprecation.link is not a plain URL: {self.link!r}")

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The response headers, as raw ASGI pairs (computed once, at startup)."""
        found = [(b"deprecation", f"@{int(self.at.timestamp())}".encode())]
        if self.sunset is not None:
            found.append((b"sunset", format_datetime(self.sunset, usegmt=True).encode()))
        if self.link is not None:
            found.append((b"link", f'<{self.link}>; rel="deprecation"'.encode()))
        return found


@dataclass(frozen=True)
class Version:
    """One version of the API: its label ("1", "2024-06"...), and its deprecation if it is deprecated."""

    label: str
    deprecation: Deprecation | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        label = self.label
        if not label or not label.isprintable() or any(c in label for c in " /{}?#%"):
            raise ValueError(f"a version label is a short token such as '2', not {label!r}")


@dataclass(frozen=True)
class RouteVersions:
    """The versions an endpoint is part of: from `since` (included) until `removed` (excluded)."""

    since: str | None = None
    removed: str | None = None
    deprecation: Deprecation | None = None

    def labels(self, order: Sequence[str]) -> list[str]:
        """The labels of `order` (oldest first) this endpoint is in; an unknown label is an error."""
        for label in (self.since, self.removed):
            if label is not None and label not in order:
                raise ValueError(f"@version names the unknown version {label!r} (known: {', '.join(order)})")
        start = order.index(self.since) if self.since is not None else 0
        end = order.index(self.removed) if self.removed is not None else len(order)
        if end <= start:
            raise ValueError(f"@version(since={self.since!r}, removed={self.removed!r}) leaves no version")
        return list(order[start:end])


def version(
    *, since: str | None = None, removed: str | None = None, deprecation: Deprecation | None = None
) -> Callable[[F], F]:
    """Mark an endpoint as part of the versions from `since` (default: the first) up to, not including, `removed`
    (default: every later one); with `deprecation`, every version serving it marks it deprecated.

    The mark is read when `Versions.include_router` copies the route, so it may sit above or below the route
    decorator. An endpoint without the mark is in every version.
    """
    mark = RouteVersions(since, removed, deprecation)

    def decorator(endpoint: F) -> F:
        setattr(endpoint, _MARK, mark)
        return endpoint

    return decorator


def route_versions(endpoint: Any) -> RouteVersions:
    """The endpoint's mark; an endpoint without one is in every version."""
    mark = getattr(endpoint, _MARK, None)
    return mark if isinstance(mark, RouteVersions) else RouteVersions()

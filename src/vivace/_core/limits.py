"""Request size limits: vivace's defaults, in one place, and how a route's settings combine with them.

FastAPI 0.165 leaves the body unlimited unless `max_body_size` is set, and limits forms only with Starlette's
`form_limits` defaults (1000 fields, 1000 files, 1 MiB per text field). vivace keeps those form defaults and adds
byte limits that keep memory and disk bounded for an application that sets nothing. An explicit `max_body_size`
replaces every byte default below; an explicit `form_limits` key replaces its own default only.

Exceeding a byte limit answers 413; exceeding a `form_limits` count or part size answers 400 with Starlette's
message, as FastAPI does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import Message, Receive, Scope

from vivace.exceptions import HTTPException

__all__ = [
    "MAX_BODY_SIZE",
    "MAX_FIELDS",
    "MAX_FILES",
    "MAX_FILE_SIZE",
    "MAX_PART_SIZE",
    "MAX_UPLOAD_SIZE",
    "SPOOL_SIZE",
    "FormLimits",
    "LimitedReceive",
    "content_length",
    "form_limits",
]

KiB = 1024
MiB = 1024 * KiB

#: A body vivace reads into memory: JSON and other non-form bodies, a urlencoded form, and the sum of a multipart
#: form's text fields.
MAX_BODY_SIZE = 16 * MiB
#: One uploaded file (a multipart part with a filename); files are spooled to disk past SPOOL_SIZE.
MAX_FILE_SIZE = 100 * MiB
#: A whole multipart body, files included.
MAX_UPLOAD_SIZE = 1024 * MiB
#: FastAPI's (Starlette's) `form_limits` defaults, unchanged.
MAX_FIELDS = 1000
MAX_FILES = 1000
MAX_PART_SIZE = 1 * MiB
#: File bytes kept in memory before an upload rolls over to a temporary file (Starlette's threshold).
SPOOL_SIZE = 1 * MiB

#: FastAPI's detail for a body over an explicit `max_body_size`.
CONTENT_TOO_LARGE = "Content Too Large"


def too_large(detail: str) -> HTTPException:
    return HTTPException(status_code=413, detail=detail)


def body_too_large(limit: int) -> HTTPException:
    """413 for a body over one of vivace's defaults: says which limit and how to raise it."""
    return too_large(f"Request body is larger than the {_size(limit)} limit (set max_body_size to change it)")


def file_too_large(field: str, limit: int) -> HTTPException:
    return too_large(f"The file in form field {field!r} is larger than the {_size(limit)} limit")


def fields_too_large(limit: int) -> HTTPException:
    return too_large(f"The form's text fields are larger than the {_size(limit)} limit")


def _size(value: int) -> str:
    return f"{value // MiB} MiB" if value >= MiB and value % MiB == 0 else f"{value} bytes"


@dataclass(frozen=True, slots=True)
class FormLimits:
    """Every limit a form parse enforces, resolved once per route at startup."""

    max_body: int  # bytes of a whole multipart body
    max_memory: int  # bytes of a urlencoded body, and of all multipart text fields together
    max_fields: int
    max_files: int
    max_part_size: int  # bytes of one text field
    max_file_size: int | None  # bytes of one file; None when an explicit max_body_size bounds everything
    explicit_body: bool  # the body limit came from max_body_size (413 with FastAPI's detail)

    def body_error(self, limit: int) -> HTTPException:
        return too_large(CONTENT_TOO_LARGE) if self.explicit_body else body_too_large(limit)


def form_limits(max_body_size: int | None, limits: Mapping[str, Any] | None) -> FormLimits:
    """A route's form limits: its `form_limits` keys over FastAPI's defaults, `max_body_size` over vivace's.

    `max_file_size` is a vivace extension of `form_limits` (FastAPI has no per-file limit).
    """
    given = dict(limits or {})
    _check(given, max_body_size)
    explicit = max_body_size is not None
    body = max_body_size if max_body_size is not None else MAX_UPLOAD_SIZE
    return FormLimits(
        max_body=body,
        max_memory=body if explicit else MAX_BODY_SIZE,
        max_fields=_count(given.get("max_fields"), MAX_FIELDS),
        max_files=_count(given.get("max_files"), MAX_FILES),
        max_part_size=_count(given.get("max_part_size"), MAX_PART_SIZE),
        max_file_size=given.get("max_file_size", None if explicit else MAX_FILE_SIZE),
        explicit_body=explicit,
    )


_FORM_LIMIT_KEYS = ("max_fields", "max_files", "max_part_size", "max_file_size")


def _is_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check(given: dict[str, Any], max_body_size: int | None) -> None:
    """Reject a bad setting at startup rather than failing on every request (FastAPI validates them too)."""
    if max_body_size is not None and not _is_size(max_body_size):
        raise ValueError("max_body_size must be a non-negative integer or None")
    for key, value in given.items():
        if key not in _FORM_LIMIT_KEYS:
            raise ValueError(f"form_limits has no setting {key!r}; the settings are {', '.join(_FORM_LIMIT_KEYS)}")
        if value is not None and not _is_size(value):
            raise ValueError(f"form_limits[{key!r}] must be a non-negative integer")


def _count(value: int | None, default: int) -> int:
    return default if value is None else value


def content_length(scope: Scope) -> int | None:
    """The declared Content-Length, or None when absent or unreadable (a chunked body)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class LimitedReceive:
    """`receive` for a route with an explicit `max_body_size`: also bounds bodies the endpoint reads itself.

    The declared Content-Length is checked before anything runs; a chunked body is counted as it arrives.
    """

    __slots__ = ("_limit", "_receive", "_seen")

    def __init__(self, scope: Scope, receive: Receive, limit: int) -> None:
        declared = content_length(scope)
        if declared is not None and declared > limit:
            raise too_large(CONTENT_TOO_LARGE)
        self._receive = receive
        self._limit = limit
        self._seen = 0

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self._seen += len(message.get("body", b""))
            if self._seen > self._limit:
                raise too_large(CONTENT_TOO_LARGE)
        return message

"""Exceptions users raise and catch; the names and constructors match FastAPI's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.exceptions import WebSocketException as StarletteWebSocketException

__all__ = [
    "DependencyScopeError",
    "EndpointContext",
    "FastAPIDeprecationWarning",
    "FastAPIError",
    "HTTPException",
    "PydanticV1NotSupportedError",
    "RequestErrorModel",
    "RequestValidationError",
    "ResponseValidationError",
    "ValidationException",
    "WebSocketErrorModel",
    "WebSocketException",
    "WebSocketRequestValidationError",
]

# Empty models named like the connection kinds, as FastAPI exposes them (code that builds error models reads them).
RequestErrorModel: type[BaseModel]
WebSocketErrorModel: type[BaseModel]
_ERROR_MODEL_NAMES = {"RequestErrorModel": "Request", "WebSocketErrorModel": "WebSocket"}


def __getattr__(name: str) -> type[BaseModel]:
    """Build an error model on first read, then keep it as a plain module attribute.

    PERF: two `create_model` calls cost ~4 M instructions at `import vivace`; nothing in vivace reads them.
    """
    if name not in _ERROR_MODEL_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from pydantic import create_model  # noqa: PLC0415 - with the first read, see above

    model: type[BaseModel] = create_model(_ERROR_MODEL_NAMES[name])
    globals()[name] = model
    return model


class EndpointContext(TypedDict, total=False):
    """Where an endpoint lives, shown in validation error messages to help find the failing route."""

    function: str
    path: str
    file: str
    line: int


class HTTPException(StarletteHTTPException):
    """Raise to answer with an HTTP error; `detail` may be any JSON-serialisable value."""

    def __init__(
        self, status_code: int, detail: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)


class WebSocketException(StarletteWebSocketException):
    """Raise inside a WebSocket endpoint to close the connection with `code` and `reason`."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        super().__init__(code=code, reason=reason)


class FastAPIError(RuntimeError):
    """A usage error in the application itself (reported at startup where possible)."""


class DependencyScopeError(FastAPIError):
    """A dependency declared a scope that its position in the graph cannot honour."""


class PydanticV1NotSupportedError(FastAPIError):
    """Pydantic v1 models are not supported."""


class FastAPIDeprecationWarning(UserWarning):
    """Emitted for deprecated parameters (kept under FastAPI's name for filter compatibility)."""


class ValidationException(Exception):
    """Base of the validation errors: the error entries, and where the failing endpoint is defined.

    `str()` lists the entries, then the endpoint as a traceback-style `File "...", line N, in f` line (or its
    path alone) so that the route is found from a log line.
    """

    endpoint_function: str | None
    endpoint_path: str | None
    endpoint_file: str | None
    endpoint_line: int | None

    def __init__(self, errors: Sequence[Any], *, endpoint_ctx: EndpointContext | None = None) -> None:
        self._errors = errors
        self.endpoint_ctx = endpoint_ctx
        where: Mapping[str, Any] = endpoint_ctx or {}
        for part in ("function", "path", "file", "line"):
            setattr(self, f"endpoint_{part}", where.get(part))

    def errors(self) -> Sequence[Any]:
        return self._errors

    def __str__(self) -> str:
        count = len(self._errors)
        lines = [f"{count} validation error{'' if count == 1 else 's'}:", *(f"  {e}" for e in self._errors)]
        endpoint = self._endpoint_lines()
        if endpoint:
            lines += ["", *endpoint]
        # NOTE: trailing whitespace goes, even an error entry's own, as in FastAPI's text
        return "\n".join(lines).rstrip()

    def _endpoint_lines(self) -> list[str]:
        """Read from the attributes (not endpoint_ctx), so a handler that edits them changes the text."""
        path = [self.endpoint_path] if self.endpoint_path else []
        if self.endpoint_file and self.endpoint_line and self.endpoint_function:
            where = f'  File "{self.endpoint_file}", line {self.endpoint_line}, in {self.endpoint_function}'
            return [where, *(f"    {p}" for p in path)]
        return [f"  Endpoint: {p}" for p in path]


class RequestValidationError(ValidationException):
    """The request did not match the endpoint's declared parameters (answered with 422)."""

    def __init__(
        self, errors: Sequence[Any], *, body: Any = None, endpoint_ctx: EndpointContext | None = None
    ) -> None:
        super().__init__(errors, endpoint_ctx=endpoint_ctx)
        self.body = body


class WebSocketRequestValidationError(ValidationException):
    """A WebSocket handshake did not match the endpoint's declared parameters."""


class ResponseValidationError(ValidationException):
    """The endpoint returned data that does not match its response model (a server bug, answered 500)."""

    def __init__(
        self, errors: Sequence[Any], *, body: Any = None, endpoint_ctx: EndpointContext | None = None
    ) -> None:
        super().__init__(errors, endpoint_ctx=endpoint_ctx)
        self.body = body

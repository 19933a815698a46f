"""RFC 9457 problem details: error answers as `application/problem+json`.

Off by default. `FastAPI(problem_details=True)` (or `APIRouter(problem_details=True)` for a router's routes)
swaps the default error answers — `HTTPException`, validation errors, 500s — for problem documents:

    {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "No such item", "instance": "/items/7"}

`title` is the status's reason phrase (RFC 9110's wording), `instance` the request's path; a validation error
carries FastAPI's error entries in an `errors` member. `ProblemDetail` is an `HTTPException` that carries its own
`type`, `title` and extension members, and is answered as a problem document whatever the setting.

The handlers below are the ones the setting installs; they are public so an application's own handler can wrap
or reuse them, as with `vivace.exception_handlers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import Scope, Send

from vivace._json_safe import ErrorJSONResponse
from vivace.encoders import jsonable_encoder
from vivace.exceptions import HTTPException, RequestValidationError
from vivace.utils import is_body_allowed_for_status_code

__all__ = [
    "PROBLEM_JSON",
    "ProblemDetail",
    "ProblemResponse",
    "http_exception_handler",
    "problem_detail_handler",
    "problem_document",
    "request_validation_exception_handler",
    "send_content_too_large",
    "server_error_handler",
    "status_title",
]

PROBLEM_JSON = "application/problem+json"
#: the `type` of a problem that has no more to say than its status code (RFC 9457, section 4.2.1)
ABOUT_BLANK = "about:blank"

# NOTE: Python 3.11's `HTTPStatus` still has RFC 7231's older phrases for these; RFC 9110 renamed them.
_RFC_9110_PHRASES = {
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}
_VALIDATION_DETAIL = "The request is not valid; see errors."
_SERVER_ERROR_DETAIL = "The server could not complete the request."


def status_title(status: int) -> str:
    """The reason phrase of `status` (RFC 9110), or the status class for a code with no registered phrase."""
    phrase = _RFC_9110_PHRASES.get(status)
    if phrase is not None:
        return phrase
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return {4: "Client Error", 5: "Server Error"}.get(status // 100, "Error")


def problem_document(
    status: int,
    *,
    type: str = ABOUT_BLANK,
    title: str | None = None,
    detail: Any = None,
    instance: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """A problem document: the standard members first (`detail` left out when None), then the extensions."""
    document: dict[str, Any] = {"type": type, "title": title or status_title(status), "status": status}
    if detail is not None:
        document["detail"] = detail
    if instance is not None:
        document["instance"] = instance
    document.update(jsonable_encoder(extensions))
    return document


class ProblemResponse(ErrorJSONResponse):
    """A JSON response with the `application/problem+json` media type (still valid JSON whatever it echoes)."""

    media_type = PROBLEM_JSON


class ProblemDetail(HTTPException):
    """An `HTTPException` answered as a problem document, with an application's own `type` URI and members.

        raise ProblemDetail(403, type="https://example.com/probs/out-of-credit", title="You do not have enough
                            credit.", detail="Your balance is 30, but that costs 50.", balance=30)

    `title` defaults to the status's reason phrase, `instance` to the request's path; any other keyword becomes
    an extension member (encoded as `jsonable_encoder` does). It is answered as `application/problem+json`
    whether or not `problem_details` is on, unless the application registers a handler for it (or its status).
    """

    def __init__(
        self,
        status: int,
        *,
        type: str = ABOUT_BLANK,
        title: str | None = None,
        detail: Any = None,
        instance: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        self.type = type
        self.title = title or status_title(status)
        self.instance = instance
        self.extensions = extensions
        # NOTE: `detail` stays None when not given (the document leaves it out); HTTPException's own attribute
        # falls back to the title, so code reading `exc.detail` as for any HTTPException gets a message
        self.problem_detail = detail
        super().__init__(status_code=status, detail=self.title if detail is None else detail, headers=headers)

    def document(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document; `instance` (the request's path) is used when the exception names none."""
        return problem_document(
            self.status_code,
            type=self.type,
            title=self.title,
            detail=self.problem_detail,
            instance=self.instance if self.instance is not None else instance,
            **self.extensions,
        )


def _path(connection: HTTPConnection) -> str:
    return connection.url.path


async def problem_detail_handler(request: HTTPConnection, exc: ProblemDetail) -> Response:
    """Answer a `ProblemDetail` with its own document (whatever the `problem_details` setting)."""
    if not is_body_allowed_for_status_code(exc.status_code):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return ProblemResponse(exc.document(_path(request)), status_code=exc.status_code, headers=exc.headers)


async def http_exception_handler(request: HTTPConnection, exc: StarletteHTTPException) -> Response:
    """An `HTTPException` as a problem document: its status, its `detail`, its headers."""
    if isinstance(exc, ProblemDetail):
        return await problem_detail_handler(request, exc)
    if not is_body_allowed_for_status_code(exc.status_code):
        return Response(status_code=exc.status_code, headers=exc.headers)
    document = problem_document(exc.status_code, detail=exc.detail, instance=_path(request))
    return ProblemResponse(document, status_code=exc.status_code, headers=exc.headers)


async def request_validation_exception_handler(request: Request, exc: RequestValidationError) -> Response:
    """422 as a problem document, FastAPI's error entries (`loc`, `msg`, `type`, `input`...) under `errors`."""
    document = problem_document(422, detail=_VALIDATION_DETAIL, instance=_path(request))
    # NOTE: the entries are added after `problem_document`, which would encode them a second time
    document["errors"] = jsonable_encoder(exc.errors())
    return ProblemResponse(document, status_code=422)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    """500 as a problem document; the exception's message stays in the server's log, not in the answer."""
    document = problem_document(500, detail=_SERVER_ERROR_DETAIL, instance=_path(request))
    return ProblemResponse(document, status_code=500)


async def send_content_too_large(scope: Scope, send: Send) -> None:
    """The 413 an application's body limit answers before any route does (a middleware read the body)."""
    document = problem_document(413, detail="Content Too Large", instance=_path(HTTPConnection(scope)))
    await ProblemResponse(document, status_code=413)(scope, _no_receive, send)


async def _no_receive() -> Any:  # pragma: no cover - a response never reads the request
    return {"type": "http.disconnect"}

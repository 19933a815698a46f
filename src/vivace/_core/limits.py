"""Request size limits: vivace's defaults, in one place, and how a route's settings combine with them.

FastAPI 0.165 leaves the body unlimited unless `max_body_size` is set, and limits forms only with Starlette's
`form_limits` defaults (1000 fields, 1000 files, 1 MiB per text field). vivace keeps those form defaults and adds
byte limits that keep memory and disk bounded for an application that sets nothing. An explicit `max_body_size`
replaces every byte default below; an explicit `form_limits` key replaces its own default only.

Exceeding a byte limit answers 413; exceeding a `form_limits` count or part size answers 400 with Starlette's
message, as FastAPI does.

Settings are checked where they are declared (app, router, `include_router`, route), as FastAPI does. An app or an
inclusion with its own settings puts a `LimitsLayer` in front of what it serves, so its `max_body_size` also bounds
middleware, mounted applications and anything else that reads the body, and its `form_limits` reach forms parsed
by mounted applications. Inner settings win: a route's, router's or mounted app's `max_body_size` takes over the
one byte count of the request (`BodyBudget`), and a route's `form_limits` keys override the inherited ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vivace.exceptions import HTTPException

__all__ = [
    "BODY_BUDGET_KEY",
    "FORM_LIMITS_KEY",
    "MAX_BODY_SIZE",
    "MAX_FIELDS",
    "MAX_FILES",
    "MAX_FILE_SIZE",
    "MAX_PART_SIZE",
    "MAX_UPLOAD_SIZE",
    "SPOOL_SIZE",
    "BodyBudget",
    "BodyTooLarge",
    "FormLimits",
    "LimitsLayer",
    "check_form_limits",
    "check_max_body_size",
    "content_length",
    "form_limits",
    "over_limit",
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

#: scope keys: the request's `BodyBudget`, and the `form_limits` settings inherited from enclosing apps/inclusions
BODY_BUDGET_KEY = "vivace.body_budget"
FORM_LIMITS_KEY = "vivace.form_limits"


class BodyTooLarge(HTTPException):
    """The body went over an explicit `max_body_size`: a 413 that the `LimitsLayer` owning the count may answer.

    A class of its own so that an application's own `HTTPException(413)` is never mistaken for it.
    """

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=CONTENT_TOO_LARGE)


def too_large(detail: str) -> HTTPException:
    return HTTPException(status_code=413, detail=detail)


def over_limit(limit: int, *, explicit: bool) -> HTTPException:
    """413 for a body over `limit`: FastAPI's answer when the limit is an explicit `max_body_size`, else vivace's
    message naming the default."""
    return BodyTooLarge() if explicit else body_too_large(limit)


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
    # what these limits were resolved from, to merge settings inherited through a mount at request time
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)
    max_body_size: int | None = field(default=None, repr=False)

    def body_error(self, limit: int) -> HTTPException:
        return over_limit(limit, explicit=self.explicit_body)

    def under(self, inherited: Mapping[str, Any] | None) -> FormLimits:
        """These limits inside an app or inclusion that set `form_limits` (`scope[FORM_LIMITS_KEY]`).

        The route's own keys win. PERF: a route of the app that set them already holds every key, so the common
        case allocates nothing.
        """
        if not inherited or all(key in self.settings for key in inherited):
            return self
        return form_limits(self.max_body_size, {**inherited, **self.settings})


def form_limits(max_body_size: int | None, limits: Mapping[str, Any] | None) -> FormLimits:
    """A route's form limits: its `form_limits` keys over FastAPI's defaults, `max_body_size` over vivace's.

    `max_file_size` is a vivace extension of `form_limits` (FastAPI has no per-file limit).
    """
    given = check_form_limits(limits) or {}
    check_max_body_size(max_body_size)
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
        settings=given,
        max_body_size=max_body_size,
    )


_FORM_LIMIT_KEYS = ("max_fields", "max_files", "max_part_size", "max_file_size")


def _is_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_max_body_size(value: Any) -> int | None:
    """`value` if it is a valid `max_body_size`; a bad one fails where it is declared, not on every request."""
    if value is not None and not _is_size(value):
        raise ValueError("max_body_size must be a non-negative integer or None")
    return value  # type: ignore[no-any-return]


def check_form_limits(limits: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A checked copy of `form_limits` (None stays None): later changes to the caller's dict have no effect."""
    if limits is None:
        return None
    given = dict(limits)
    for key, value in given.items():
        if key not in _FORM_LIMIT_KEYS:
            raise ValueError(f"form_limits has no setting {key!r}; the settings are {', '.join(_FORM_LIMIT_KEYS)}")
        if value is not None and not _is_size(value):
            raise ValueError(f"form_limits[{key!r}] must be a non-negative integer")
    return given


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


def route_receive(scope: Scope, receive: Receive, limit: int) -> Receive:
    """`receive` for a route with an explicit `max_body_size`.

    Under a `LimitsLayer` the route's limit takes over the request's one count (bytes a middleware already read
    count); otherwise the route counts on its own.
    """
    budget: BodyBudget | None = scope.get(BODY_BUDGET_KEY)
    if budget is None:
        # NOTE: a count of the route's own; the declared Content-Length is refused before anything runs
        own = BodyBudget(receive, limit, content_length(scope))
        if own.declared_too_large():
            raise BodyTooLarge()
        return own.receive
    budget.take_over(limit, check_declared=True)
    return receive


class BodyBudget:
    """One request's byte count against the explicit `max_body_size` in force, kept in `scope[BODY_BUDGET_KEY]`."""

    __slots__ = ("_receive", "declared", "limit", "seen")

    def __init__(self, receive: Receive, limit: int, declared: int | None) -> None:
        self._receive = receive
        self.limit = limit
        self.declared = declared
        self.seen = 0

    def take_over(self, limit: int, *, check_declared: bool) -> None:
        """An inner setting (a mounted app's, a router's, a route's) replaces the limit; already over it: 413."""
        self.limit = limit
        if self.seen > limit or (check_declared and self.declared_too_large()):
            raise BodyTooLarge()

    def declared_too_large(self) -> bool:
        return self.declared is not None and self.declared > self.limit

    async def receive(self) -> Message:
        if self.declared_too_large():
            raise BodyTooLarge()
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                raise BodyTooLarge()
        return message


def _only_too_large(exc: BaseException) -> bool:
    """A BodyTooLarge, or a group (from a middleware's task group) holding nothing else."""
    if isinstance(exc, BaseExceptionGroup):
        _, rest = exc.split(BodyTooLarge)
        return rest is None
    return isinstance(exc, BodyTooLarge)


class LimitsLayer:
    """The explicit limits of an application or an inclusion, in front of everything it serves.

    It sets the request's byte count (or hands its `max_body_size` to the count of an enclosing application),
    passes its `form_limits` down to form parsing, and answers a `BodyTooLarge` that nothing inside answered — a
    middleware reading the body, say — with a 413, unless the response has already started.

    PERF: only apps and inclusions that set a limit pay for the count (one object and a wrapped `send` per
    request); in an app with middleware but no limit the layer only passes requests through.
    """

    __slots__ = ("app", "form_limits", "max_body_size", "too_large")

    def __init__(
        self, app: ASGIApp, max_body_size: int | None = None, form_limits: Mapping[str, Any] | None = None,
        too_large: Callable[[Scope, Send], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.form_limits = dict(form_limits) if form_limits else None
        # what answers the 413 itself (an application with problem details answers a problem document)
        self.too_large = too_large or _send_too_large

    @property
    def routes(self) -> list[Any]:
        """The wrapped app's routes, so a limited `Mount` still resolves `url_path_for` into it."""
        return list(getattr(self.app, "routes", []))

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        if self.form_limits is not None:
            inherited = scope.get(FORM_LIMITS_KEY)
            scope[FORM_LIMITS_KEY] = {**inherited, **self.form_limits} if inherited else self.form_limits
        if self.max_body_size is None and BODY_BUDGET_KEY not in scope:
            # PERF: nothing to count and no enclosing count: no frame of its own
            return self.app(scope, receive, send)
        return self._counted(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        budget: BodyBudget | None = scope.get(BODY_BUDGET_KEY)
        owner = budget is None
        if budget is None:
            assert self.max_body_size is not None
            budget = scope[BODY_BUDGET_KEY] = BodyBudget(receive, self.max_body_size, content_length(scope))
            receive = budget.receive
        state = _WAITING

        async def watched_send(message: Message) -> None:
            nonlocal state
            if state is _REPLACED:
                return
            if message["type"] == "http.response.start":
                if owner and budget.declared_too_large():
                    # NOTE: nothing read the over-long declared body (a static file, say): refuse it anyway
                    state = _REPLACED
                    await self.too_large(scope, send)
                    return
                state = _STARTED
            await send(message)

        try:
            if not owner and self.max_body_size is not None:
                budget.take_over(self.max_body_size, check_declared=False)
            await self.app(scope, receive, watched_send)
        except BaseException as exc:
            if not _only_too_large(exc) or state is _STARTED:
                raise
            if state is _WAITING:
                await self.too_large(scope, send)
        finally:
            if owner:
                del scope[BODY_BUDGET_KEY]


_WAITING, _STARTED, _REPLACED = "waiting", "started", "replaced"  # a LimitsLayer's view of the response


async def _send_too_large(scope: Scope, send: Send) -> None:
    response = JSONResponse({"detail": CONTENT_TOO_LARGE}, status_code=413)
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:  # pragma: no cover - a JSONResponse never reads the request
    return {"type": "http.disconnect"}

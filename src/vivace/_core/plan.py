"""The compiled form of a route: frozen, slotted records with no logic.

`compile.py` builds them at startup; the per-request stages only read them. Every record has a readable repr so
`vivace routes --plans` (and a debugger) shows exactly what a request will do.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

__all__ = ["ArgSource", "BodyKind", "DepStep", "Extractor", "RoutePlan"]


class ArgSource(IntEnum):
    """Where a callable's argument comes from at request time."""

    value = 0  # a validated request value, by key
    step = 1  # the result of an earlier dependency step, by index
    request = 2
    websocket = 3
    http_connection = 4
    response = 5
    background_tasks = 6
    constant = 7  # a value fixed at compile time (SecurityScopes)


class BodyKind(IntEnum):
    none = 0
    json = 1  # one body parameter, the whole JSON body is its value
    json_embedded = 2  # several body parameters (or embed=True): a JSON object keyed by their names
    form = 3


@dataclass(frozen=True, slots=True, repr=False)  # NOTE: its own __repr__ below (PERF: none generated)
class Extractor:
    """Validates one request location (or one parameter model) in a single Pydantic call.

    `validate(raw)` returns `(values, errors)`: `values` maps value keys to validated values; `errors` are
    already in FastAPI's shape with the location prefixed to `loc`.
    """

    location: str
    keys: tuple[str, ...]
    validate: Callable[[Any], tuple[dict[str, Any], list[dict[str, Any]]]]

    def __repr__(self) -> str:
        return f"Extractor({self.location}: {', '.join(self.keys)})"


@dataclass(frozen=True, slots=True, repr=False)  # NOTE: its own __repr__ below (PERF: none generated)
class DepStep:
    """One call in the flattened dependency graph; the last step of a plan is the endpoint itself."""

    call: Callable[..., Any]
    name: str
    args: tuple[tuple[str, ArgSource, Any], ...]
    arguments: Callable[[Any], dict[str, Any]]  # gathers `args` from a request Context (see _core/arguments.py)
    is_async: bool
    is_generator: bool  # a `yield` dependency (sync or async)
    is_async_generator: bool
    exit_before_response: bool  # scope="function"
    needs: frozenset[str]  # every value key this step depends on, transitively (to skip it on errors)
    limiter: Any = None  # max_concurrency: the declaration's `_DependencyConcurrency` (a semaphore per event loop)
    app_scoped: bool = False  # Depends(scope="app"): one value for the whole application
    cache_key: Any = None  # the callable identity app-scoped values are stored under
    # a sync step memoised by functools.lru_cache: tells whether the next call is a hit, which may run on the loop
    on_loop: Callable[[], bool] | None = None
    # a vivace dependency that can run without a Context (a memory rate limit): `native(scope)` checks the request
    # and returns the raw headers it adds to the response (or raises, as `call` would). The flat runner of a route
    # with no request inputs calls it instead of `call`; every other path calls `call` with `args` as usual.
    native: Callable[[Any], tuple[tuple[bytes, bytes], ...]] | None = None
    # a `yield` dependency's context-manager factory, derived from `call` (see __post_init__)
    context: Callable[..., Any] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # PERF: built once per step, and again for copies (`dataclasses.replace` with a wrapped `call`, as telemetry
        # makes): the decorators copy the function's metadata, about a microsecond a request would otherwise pay
        if self.is_generator:
            factory = asynccontextmanager(self.call) if self.is_async_generator else contextmanager(self.call)
            object.__setattr__(self, "context", factory)

    def __repr__(self) -> str:
        args = ", ".join(f"{name}<-{source.name}:{key}" for name, source, key in self.args)
        kind = "app " if self.app_scoped else ""
        kind += "async " if self.is_async else ""
        kind += "yield " if self.is_generator else ""
        kind += "cached " if self.on_loop is not None else ""
        kind += "native " if self.native is not None else ""
        return f"DepStep({kind}{self.name}({args}))"


@dataclass(frozen=True, slots=True, repr=False)  # NOTE: its own __repr__ below (PERF: none generated)
class RoutePlan:
    """Everything a request to one route does, decided at startup."""

    path: str
    methods: frozenset[str]
    name: str
    path_extractor: Extractor | None
    extractors: tuple[Extractor, ...]  # query, header, cookie (and parameter models), in FastAPI's error order
    body_kind: BodyKind
    body_extractor: Extractor | None
    body_required: bool
    form_extractor: Any  # Callable[[FormData], Awaitable[tuple]] for forms, else None
    steps: tuple[DepStep, ...]  # dependencies in execution order, then the endpoint
    has_generators: bool
    needs_cookies: bool
    serialize: Callable[[Any], bytes] | None  # to JSON bytes; None when a custom response_class renders instead
    encode: Callable[[Any], Any]  # to JSON-able Python, for a custom response_class
    status_code: int | None
    response_class: Any
    media_type: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    strict_content_type: bool
    endpoint_ctx: dict[str, Any]
    max_body_size: int | None = None  # bytes; None = unlimited (FastAPI's meaning)
    form_limits: Any = None  # {"max_fields", "max_files", "max_part_size"} or None
    stream: str | None = None  # "jsonl", "sse" or "raw" for generator endpoints
    stream_item: Callable[[Any], bytes] | None = None  # validates + serializes one streamed item

    def __repr__(self) -> str:
        lines = [f"RoutePlan({','.join(sorted(self.methods))} {self.path} name={self.name!r}"]
        if self.path_extractor:
            lines.append(f"  {self.path_extractor!r}")
        lines.extend(f"  {extractor!r}" for extractor in self.extractors)
        if self.body_kind:
            lines.append(f"  body={self.body_kind.name} {self.body_extractor!r}")
        lines.extend(f"  {step!r}" for step in self.steps)
        # encode_plain (plain data), pydantic_writer, orjson_writer (flat models, checked), or the response class
        serializer = getattr(self.serialize, "__name__", "prebuilt") if self.serialize else "class"
        lines.append(f"  response: status={self.status_code} serializer={serializer})")
        return "\n".join(lines)

"""The benchmark scenarios, as data: add a scenario by appending to `SCENARIOS`.

Each scenario names the load driver that runs it (`kind`, see bench/load.py): "http" scenarios are driven by
wrk through bench/request.lua; "ws" and "sse" ones by bench/stream_client.py, because wrk speaks neither
WebSocket nor a stream it has to read to the end.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The peers (`--peers`, bench/peers.py) serve every scenario of bench/app.py from their own files.
PEER_FRAMEWORKS = frozenset({"blacksheep", "litestar", "starlette"})
APP_FRAMEWORKS = frozenset({"vivace", "fastapi"}) | PEER_FRAMEWORKS
ALL_FRAMEWORKS = APP_FRAMEWORKS | {"raw"}

Check = Callable[[Any], bool]

UPLOAD_BOUNDARY = "vivace-bench-boundary-7d1f0c"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    method: str
    path: str  # with the query string
    description: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    frameworks: frozenset[str] = APP_FRAMEWORKS  # which servers answer this scenario
    kind: str = "http"  # the load driver; see bench/load.py
    expected_status: int = 200
    # For "http": when set, request.lua builds this multipart upload itself (too big for the environment).
    upload_bytes: int = 0
    # Open connections (or streams) for this scenario; None = the run's --connections.
    connections: int | None = None
    unit: str = "req/s"  # what one counted "request" is, for the log: a WebSocket message, an SSE event...
    # The targets the issues set, as ratios measured in the same run: vivace/FastAPI and vivace/raw. Where the
    # server itself is the bound (an upload, a WebSocket echo), the raw app doing the same work is the yardstick
    # and FastAPI only a floor.
    target_fastapi: float = 3.0
    target_raw: float | None = None
    # Run on the decoded answer to the one request sent before measuring (JSON for "http", the echoed text
    # for "ws", the list of event data for "sse"): a wrong answer is reported as an error, not benchmarked.
    check: Check | None = field(default=None, compare=False)
    app: str = "bench"  # which application file serves it: "bench" (bench/app.py) or "realistic"
    # False when the answer holds values that legitimately differ between two servers (a creation time).
    same_answer: bool = True


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def upload_payload(size: int) -> bytes:
    """The uploaded file's bytes: 0..255 repeated, so the multipart parser meets CR, LF and dashes."""
    return bytes(range(256)) * (size // 256) + b"x" * (size % 256)


def multipart_body(size: int, boundary: str = UPLOAD_BOUNDARY) -> bytes:
    """The same bytes request.lua builds from BENCH_UPLOAD_BYTES and BENCH_BOUNDARY."""
    b = boundary.encode()
    return b"".join(
        [
            b"--" + b + b"\r\n",
            b'Content-Disposition: form-data; name="note"\r\n\r\n',
            b"bench\r\n",
            b"--" + b + b"\r\n",
            b'Content-Disposition: form-data; name="file"; filename="blob.bin"\r\n',
            b"Content-Type: application/octet-stream\r\n\r\n",
            upload_payload(size),
            b"\r\n",
            b"--" + b + b"--\r\n",
        ]
    )


_ITEM = {
    "name": "Widget",
    "price": 9.5,
    "tax": 1.25,
    "tags": ["tools", "metal", "small"],
    "image": {"url": "https://example.com/widget.png", "name": "widget"},
}
UPLOAD_BYTES = 1024 * 1024
SSE_EVENTS_PER_STREAM = 1000
WS_MESSAGE = '{"op":"echo","seq":12345,"payload":"abcdefghijklmnopqrstuvwxyz"}'


def _upload_ok(data: Any) -> bool:
    return bool(data == {"filename": "blob.bin", "size": UPLOAD_BYTES, "note": "bench"})


def _tick_events(events: Any) -> bool:
    return isinstance(events, list) and events == [{"n": n, "label": "tick"} for n in range(len(events))]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "hello",
        "GET",
        "/hello",
        "async endpoint returning a small dict",
        frameworks=ALL_FRAMEWORKS,
        target_raw=0.9,
        check=lambda data: data == {"message": "Hello World"},
    ),
    Scenario(
        "path-query",
        "GET",
        "/items/42?q=search&limit=5",
        "int path parameter (ge=1), str query (max_length) and int query (gt, le) with a default",
        check=lambda data: data == {"item_id": 42, "q": "search", "limit": 5},
    ),
    Scenario(
        "post-body",
        "POST",
        "/items",
        "nested Pydantic body in, response_model out",
        body=_json(_ITEM),
        headers=(("content-type", "application/json"),),
        check=lambda data: data.get("price_with_tax") == 10.75 and data.get("image", {}).get("name") == "widget",
    ),
    Scenario(
        "list-100",
        "GET",
        "/users",
        "100 Pydantic models through response_model=list[User]",
        check=lambda data: isinstance(data, list) and len(data) == 100,
    ),
    Scenario(
        "deps-3",
        "GET",
        "/me",
        "three chained dependencies, one reading the x-token header",
        headers=(("x-token", "bench-token"),),
        check=lambda data: data.get("settings", {}).get("theme") == "dark",
    ),
    Scenario(
        "yield-dep",
        "GET",
        "/session",
        "an async yield dependency opening and closing a session object",
        check=lambda data: data == {"answer": 42, "closed": False},
    ),
    Scenario(
        "security",
        "GET",
        "/secure/items",
        "OAuth2 bearer token from the Authorization header, Security() with scopes",
        headers=(("authorization", "Bearer bench-bearer"),),
        check=lambda data: data == {"owner": "alice", "items": ["a", "b"]},
    ),
    Scenario(
        "sync-def",
        "GET",
        "/sync",
        "plain def endpoint, run in the thread pool",
        check=lambda data: data == {"mode": "sync", "ok": True},
    ),
    Scenario(
        "form",
        "POST",
        "/login",
        "urlencoded form with three validated fields",
        body=b"username=alice&password=correct-horse&remember=true",
        headers=(("content-type", "application/x-www-form-urlencoded"),),
        check=lambda data: data == {"username": "alice", "remember": True, "password_length": 13},
    ),
    Scenario(
        "upload-1mb",
        "POST",
        "/upload",
        "1 MiB multipart file upload (UploadFile) plus a form field; raw gathers the body, finds the parts",
        body=multipart_body(UPLOAD_BYTES),
        headers=(("content-type", f"multipart/form-data; boundary={UPLOAD_BOUNDARY}"),),
        upload_bytes=UPLOAD_BYTES,
        frameworks=ALL_FRAMEWORKS,
        target_fastapi=1.0,
        target_raw=0.85,
        check=_upload_ok,
    ),
    Scenario(
        "ws-echo",
        "GET",
        "/ws",
        "WebSocket text echo, one message in flight per connection; counts round trips",
        body=WS_MESSAGE.encode(),
        frameworks=ALL_FRAMEWORKS,
        kind="ws",
        unit="msg/s",
        target_fastapi=1.0,
        target_raw=0.9,
        check=lambda echoed: echoed == WS_MESSAGE,
    ),
    Scenario(
        "sse",
        "GET",
        f"/events?count={SSE_EVENTS_PER_STREAM}",
        f"Server-Sent Events, {SSE_EVENTS_PER_STREAM} small Pydantic events per stream as fast as possible",
        frameworks=ALL_FRAMEWORKS,
        kind="sse",
        connections=4,
        unit="events/s",
        check=_tick_events,
    ),
)


def select(names: list[str] | None) -> tuple[Scenario, ...]:
    """The scenarios named (all when `names` is empty), in table order; unknown names raise ValueError."""
    if not names:
        return SCENARIOS
    known = {s.name for s in SCENARIOS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {sorted(known)}")
    return tuple(s for s in SCENARIOS if s.name in names)

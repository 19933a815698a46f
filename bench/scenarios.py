"""The benchmark scenarios, as data: add a scenario by appending to `SCENARIOS`.

Each scenario names the load driver that runs it (`kind`). Today every scenario is plain HTTP, driven by
wrk through bench/request.lua; WebSocket or SSE scenarios need another driver, registered under a new kind
in bench/load.py, and nothing else in the harness changes.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

APP_FRAMEWORKS = frozenset({"vivace", "fastapi"})
ALL_FRAMEWORKS = APP_FRAMEWORKS | {"raw"}

Check = Callable[[Any], bool]


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
    # Run on the decoded JSON of the one request sent before measuring: a wrong answer is reported as an
    # error instead of being benchmarked.
    check: Check | None = field(default=None, compare=False)


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


_ITEM = {
    "name": "Widget",
    "price": 9.5,
    "tax": 1.25,
    "tags": ["tools", "metal", "small"],
    "image": {"url": "https://example.com/widget.png", "name": "widget"},
}

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "hello",
        "GET",
        "/hello",
        "async endpoint returning a small dict",
        frameworks=ALL_FRAMEWORKS,
        check=lambda data: data == {"message": "Hello World"},
    ),
    Scenario(
        "path-query",
        "GET",
        "/items/42?q=search&limit=5",
        "int path parameter, str query and int query with a default",
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
        "sync-def",
        "GET",
        "/sync",
        "plain def endpoint, run in the thread pool",
        check=lambda data: data == {"mode": "sync", "ok": True},
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

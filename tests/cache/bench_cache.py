"""In-process cost of a cached route: uncached vs cache hit (200) vs revalidated (304), memory backend.

Run: `.venv/bin/python tests/cache/bench_cache.py` (not collected by pytest). The ASGI app is called directly
with prebuilt messages, so only the framework and the cache are measured; each figure is the best of 7 rounds,
the cases taking turns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from vivace import FastAPI
from vivace.cache import Cache

ROUNDS = 7
REQUESTS = 3_000


class Note(BaseModel):
    id: int
    title: str
    body: str
    tags: list[str]
    score: float


def notes(count: int) -> list[dict[str, Any]]:
    return [
        {"id": i, "title": f"note {i}", "body": "text " * 10, "tags": ["a", "b"], "score": i / 3} for i in range(count)
    ]


def build() -> FastAPI:
    app = FastAPI()
    cache = Cache()

    @app.get("/plain/notes", response_model=list[Note])
    async def plain_notes(limit: int = 20) -> Any:
        return notes(limit)

    @app.get("/cached/notes", response_model=list[Note])
    @cache.cached(ttl=3600)
    async def cached_notes(limit: int = 20) -> Any:
        return notes(limit)

    @app.get("/plain/hello")
    async def plain_hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.get("/cached/hello")
    @cache.cached(ttl=3600)
    async def cached_hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


def scope_for(path: str, query: bytes, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": query,
        "headers": [(b"host", b"bench"), *headers], "client": ("127.0.0.1", 1), "server": ("bench", 80),
    }  # fmt: skip


async def measure(app: Any, cases: dict[str, tuple[str, bytes, list[tuple[bytes, bytes]]]]) -> dict[str, float]:
    """Requests per second of each case, best of ROUNDS; the cases take turns, so load drift hits all alike."""
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    best = dict.fromkeys(cases, 0.0)
    for _ in range(ROUNDS):
        for name, (path, query, headers) in cases.items():
            start = time.perf_counter()
            for _ in range(REQUESTS):
                await app(scope_for(path, query, headers), receive, send)
            best[name] = max(best[name], REQUESTS / (time.perf_counter() - start))
            assert statuses[-1] == (304 if headers else 200), (name, statuses[-1])
    return best


async def main() -> None:
    app = build()
    started = asyncio.Event()

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    lifespan = asyncio.create_task(app({"type": "lifespan"}, _lifespan_receive(), lifespan_send))
    await started.wait()
    etags: dict[str, bytes] = {}

    async def grab(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            etags["last"] = dict(message["headers"])[b"etag"]

    for name, query in (("notes", b"limit=20"), ("hello", b"")):
        await app(scope_for(f"/cached/{name}", query, []), _lifespan_receive(), grab)
        cases = {
            "uncached": (f"/plain/{name}", query, []),
            "hit": (f"/cached/{name}", query, []),
            "304": (f"/cached/{name}", query, [(b"if-none-match", etags["last"])]),
        }
        rate = await measure(app, cases)
        plain = rate["uncached"]
        print(f"{name:6} uncached {plain:9,.0f}/s  hit {rate['hit']:9,.0f}/s ({rate['hit'] / plain:.2f}x)  "
              f"304 {rate['304']:9,.0f}/s ({rate['304'] / plain:.2f}x)")  # fmt: skip
    lifespan.cancel()


def _lifespan_receive() -> Callable[[], Any]:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "lifespan.startup"}
        await asyncio.Event().wait()  # never shut down during the run
        return {}

    return receive


if __name__ == "__main__":
    asyncio.run(main())

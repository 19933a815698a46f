"""A sync dependency memoised by `functools.lru_cache` skips the worker thread only when its call is a cache hit."""

import functools
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from starlette.testclient import TestClient

import vivace._core.threads as threads
from vivace import Depends, FastAPI


@pytest.fixture
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the callables handed to a worker thread."""
    calls: list[str] = []
    original = threads.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(func, "__name__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(threads, "run_sync", counting)
    yield calls


def test_cache_hits_run_on_the_loop_and_misses_in_a_thread(thread_calls: list[str]) -> None:
    """First call and the call after `cache_clear()` fill the cache in a thread; hits need no thread."""
    app = FastAPI()

    @functools.lru_cache
    def settings() -> dict[str, int]:
        return {"page": 20}

    @app.get("/")
    async def read(conf: Annotated[dict[str, int], Depends(settings)]) -> dict[str, int]:
        return conf

    client = TestClient(app)
    assert client.get("/").json() == {"page": 20}
    assert thread_calls == ["settings"]
    client.get("/")
    client.get("/")
    assert thread_calls == ["settings"]
    settings.cache_clear()
    client.get("/")
    assert thread_calls == ["settings", "settings"]


def test_cached_functions_that_cannot_promise_a_hit_keep_the_thread(thread_calls: list[str]) -> None:
    """A cached dependency taking arguments, a size-0 cache and a plain sync dependency always use the thread."""
    app = FastAPI()

    @functools.lru_cache
    def by_page(page: int = 1) -> int:
        return page

    @functools.lru_cache(maxsize=0)
    def never_kept() -> int:
        return 0

    def plain() -> int:
        return 1

    @app.get("/")
    async def read(
        a: Annotated[int, Depends(by_page)], b: Annotated[int, Depends(never_kept)], c: Annotated[int, Depends(plain)]
    ) -> list[int]:
        return [a, b, c]

    client = TestClient(app)
    for _ in range(2):
        assert client.get("/?page=2").json() == [2, 0, 1]
    assert thread_calls == ["by_page", "never_kept", "plain"] * 2

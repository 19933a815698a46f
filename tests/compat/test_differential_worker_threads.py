"""`def` endpoints and dependencies run in worker threads that behave as FastAPI's (anyio's) do.

vivace hands sync work to its own worker threads on asyncio (src/vivace/_core/threads.py); every test here runs
on both frameworks, so each property is checked against FastAPI itself.
"""

import contextvars
import threading
import time
from typing import Annotated, Any

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import pytest

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


async def get(app: Any, *paths: str) -> list[httpx.Response]:
    """GET every path at once through the ASGI interface, inside the app's asyncio loop."""
    transport = httpx.ASGITransport(app=app)
    responses: dict[int, httpx.Response] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def one(index: int, path: str) -> None:
            responses[index] = await client.get(path)

        async with anyio.create_task_group() as group:
            for index, path in enumerate(paths):
                group.start_soon(one, index, path)
    return [responses[index] for index in range(len(paths))]


def test_sync_endpoint_runs_off_the_event_loop_thread(fw: Any) -> None:
    """The endpoint runs in another thread than the event loop's."""
    app = fw.FastAPI()

    @app.get("/where")
    def where() -> dict[str, bool]:
        return {"loop_thread": threading.current_thread() is threading.main_thread()}

    async def main() -> list[httpx.Response]:
        return await get(app, "/where")

    assert [r.json() for r in anyio.run(main)] == [{"loop_thread": False}]


def test_context_set_by_an_async_dependency_reaches_sync_code(fw: Any) -> None:
    """Context variables set before the hand-off are visible in the thread (a copy of the caller's context)."""
    app = fw.FastAPI()

    async def tag_request() -> None:
        REQUEST_ID.set("r-42")

    def read_tag(_: Annotated[None, fw.Depends(tag_request)]) -> str:
        return REQUEST_ID.get()

    @app.get("/tag")
    def tag(value: Annotated[str, fw.Depends(read_tag)]) -> dict[str, str]:
        return {"dependency": value, "endpoint": REQUEST_ID.get()}

    assert fw.TestClient(app).get("/tag").json() == {"dependency": "r-42", "endpoint": "r-42"}


def test_from_thread_calls_back_into_the_event_loop(fw: Any) -> None:
    """anyio.from_thread.run/run_sync work in a sync endpoint and see one borrowed limiter token."""
    app = fw.FastAPI()

    async def async_double(value: int) -> int:
        await anyio.sleep(0)
        return value * 2

    def borrowed() -> float:
        return anyio.to_thread.current_default_thread_limiter().borrowed_tokens

    @app.get("/call-back")
    def call_back() -> dict[str, float]:
        return {"doubled": anyio.from_thread.run(async_double, 21), "borrowed": anyio.from_thread.run_sync(borrowed)}

    assert fw.TestClient(app).get("/call-back").json() == {"doubled": 42, "borrowed": 1}


def test_default_thread_limiter_caps_concurrent_sync_calls(fw: Any) -> None:
    """With the default limiter at one token, sync endpoints run one at a time and all requests succeed."""
    app = fw.FastAPI()
    inside = {"now": 0, "peak": 0}
    lock = threading.Lock()

    @app.get("/slow")
    def slow() -> str:
        with lock:
            inside["now"] += 1
            inside["peak"] = max(inside["peak"], inside["now"])
        time.sleep(0.02)
        with lock:
            inside["now"] -= 1
        return "done"

    async def main() -> list[httpx.Response]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = 1
        try:
            return await get(app, *["/slow"] * 4)
        finally:
            limiter.total_tokens = 40

    assert [r.json() for r in anyio.run(main)] == ["done"] * 4
    assert inside == {"now": 0, "peak": 1}


@pytest.mark.parametrize(
    ("error", "status"),
    [(lambda fw: fw.HTTPException(status_code=418, detail="teapot"), 418), (lambda fw: StopIteration(), 500)],
    ids=["http-exception", "stop-iteration"],
)
def test_exceptions_raised_in_the_thread_reach_the_handlers(fw: Any, error: Any, status: int) -> None:
    """An exception raised by sync code is handled as if raised on the loop (StopIteration becomes a 500)."""
    app = fw.FastAPI()

    @app.get("/fail")
    def fail() -> None:
        raise error(fw)

    assert fw.TestClient(app, raise_server_exceptions=False).get("/fail").status_code == status


def test_cancelled_request_waits_for_its_thread(fw: Any) -> None:
    """Cancelling the caller does not abandon the running sync call: cancellation completes after it returns."""
    app = fw.FastAPI()
    finished: list[bool] = []
    started = threading.Event()

    @app.get("/busy")
    def busy() -> str:
        started.set()
        time.sleep(0.2)
        finished.append(True)
        return "done"

    async def main() -> list[bool]:
        async with anyio.create_task_group() as group:
            group.start_soon(get, app, "/busy")
            while not started.is_set():
                await anyio.sleep(0.005)
            group.cancel_scope.cancel()
        return list(finished)

    assert anyio.run(main) == [True]


def test_sync_endpoints_work_on_trio(fw: Any) -> None:
    """Under trio the hand-off goes through anyio's own threads."""
    app = fw.FastAPI()

    @app.get("/sync")
    def sync_endpoint(q: int = 1) -> dict[str, int]:
        return {"q": q}

    with fw.TestClient(app, backend="trio") as client:
        assert client.get("/sync", params={"q": 5}).json() == {"q": 5}

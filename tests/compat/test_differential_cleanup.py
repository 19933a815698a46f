"""Exit code of `yield` dependencies under cancellation runs as it does on FastAPI.

A request whose task is cancelled (a client disconnect, a timeout) still runs every async `yield` dependency's
exit code to its end, in the usual order (scope="function" first, then scope="request"), and the cancellation is
raised again afterwards. Each test runs on both frameworks through `fw`.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal

import anyio
import anyio.from_thread
import httpx
import pytest

Scope = Literal["function", "request"]


class Canceller:
    """Holds the cancel scope around the request; anyio creates scopes only inside a running event loop."""

    scope: anyio.CancelScope

    def cancel(self) -> None:
        self.scope.cancel()


async def get(app: Any, cancel: Canceller) -> httpx.Response | None:
    """GET / through the ASGI interface inside a new cancel scope; None if the request was cancelled."""
    response = None
    cancel.scope = anyio.CancelScope()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        with cancel.scope:
            response = await client.get("/")
    return response


def recording_cleanup(events: list[str], label: str) -> Callable[[], AsyncIterator[None]]:
    """An async `yield` dependency whose exit code awaits once (a checkpoint), then records `label`."""

    async def resource() -> AsyncIterator[None]:
        try:
            yield
        finally:
            await anyio.sleep(0)
            events.append(label)

    return resource


@pytest.mark.parametrize("scope", ["function", "request"])
def test_cancelled_endpoint_still_runs_async_cleanup_to_its_end(fw: Any, scope: Scope) -> None:
    """Exit code that awaits after the request was cancelled finishes, then the cancellation propagates."""
    events: list[str] = []
    cancel = Canceller()
    app = fw.FastAPI()

    async def resource() -> AsyncIterator[None]:
        events.append("enter")
        try:
            yield
        finally:
            await anyio.sleep(0)
            await anyio.sleep(0)
            events.append("cleanup")

    @app.get("/")
    async def endpoint(_: None = fw.Depends(resource, scope=scope)) -> str:
        cancel.cancel()
        await anyio.sleep(0)
        return "never sent"

    async def main() -> httpx.Response | None:
        with anyio.fail_after(5):
            return await get(app, cancel)

    assert anyio.run(main) is None
    assert cancel.scope.cancelled_caught
    assert events == ["enter", "cleanup"]


@pytest.mark.parametrize("owner_scope", ["function", "request"])
@pytest.mark.parametrize("plain_sync", [False, True])
def test_cancelled_request_keeps_cleanup_order(fw: Any, owner_scope: Scope, plain_sync: bool) -> None:
    """With a dependency that owns a cancel scope, function-scoped exit code still runs before request-scoped."""
    events: list[str] = []
    cancel = Canceller()
    app = fw.FastAPI()
    other_scope: Scope = "request" if owner_scope == "function" else "function"

    async def owner() -> AsyncIterator[None]:
        with anyio.CancelScope():
            try:
                yield
            finally:
                await anyio.sleep(0)
                events.append("owner cleanup")

    plain = recording_cleanup(events, "plain cleanup")

    def sync_plain() -> Iterator[None]:
        try:
            yield
        finally:
            anyio.from_thread.run(anyio.sleep, 0)  # the teardown runs in a worker thread of the event loop
            events.append("plain cleanup")

    plain_dependency = sync_plain if plain_sync else plain
    dependencies = [fw.Depends(owner, scope=owner_scope), fw.Depends(plain_dependency, scope=other_scope)]

    @app.get("/", dependencies=dependencies)
    async def endpoint() -> str:
        cancel.cancel()
        await anyio.sleep(0)
        return "never sent"

    async def main() -> httpx.Response | None:
        with anyio.fail_after(5):
            return await get(app, cancel)

    anyio.run(main)
    expected = ["owner cleanup", "plain cleanup"] if owner_scope == "function" else ["plain cleanup", "owner cleanup"]
    assert events == expected


@pytest.mark.parametrize("scope", ["function", "request"])
def test_pending_cancellation_with_only_sync_yield_still_sends_the_response(fw: Any, scope: Scope) -> None:
    """A sync `yield` dependency's teardown adds no checkpoint: a late cancellation still lets the response out."""
    events: list[str] = []
    cancel = Canceller()

    def resource() -> Iterator[int]:
        try:
            yield 1
        finally:
            events.append("cleanup")

    app = fw.FastAPI(dependencies=[fw.Depends(resource, scope=scope)])

    @app.get("/")
    async def endpoint() -> dict[str, bool]:
        cancel.cancel()
        return {"ok": True}

    response = anyio.run(get, app, cancel)
    assert response is not None
    assert response.json() == {"ok": True}
    assert not cancel.scope.cancelled_caught
    assert events == ["cleanup"]


@pytest.mark.parametrize("scope", ["function", "request"])
def test_cleanup_error_under_cancellation_propagates_as_itself(fw: Any, scope: Scope) -> None:
    """An error raised by exit code during a cancelled request reaches the caller, and outer exit code still runs."""
    events: list[str] = []
    cancel = Canceller()
    error = RuntimeError("cleanup failed")
    app = fw.FastAPI()

    outer = recording_cleanup(events, "outer cleanup")

    async def inner(_: None = fw.Depends(outer, scope=scope)) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await anyio.sleep(0)
            events.append("inner cleanup")
            raise error

    @app.get("/")
    async def endpoint(_: None = fw.Depends(inner, scope=scope)) -> None:
        cancel.cancel()
        await anyio.sleep(0)

    async def main() -> None:
        with anyio.fail_after(5), pytest.raises(RuntimeError) as caught:
            await get(app, cancel)
        assert caught.value is error
        assert isinstance(error.__context__, anyio.get_cancelled_exc_class())

    anyio.run(main)
    assert events == ["inner cleanup", "outer cleanup"]


def test_streamed_response_stays_cancellable_after_function_cleanup(fw: Any) -> None:
    """Shielding ends with the function-scoped exit code: the stream that follows can still be cancelled."""
    events: list[str] = []
    cancel = Canceller()
    app = fw.FastAPI()

    async def function_resource() -> AsyncIterator[None]:
        yield
        await anyio.sleep(0)
        events.append("function cleanup")

    request_resource = recording_cleanup(events, "request cleanup")

    async def stream() -> AsyncIterator[bytes]:
        yield b"first"
        events.append("stream")
        cancel.cancel()
        await anyio.sleep(0)
        events.append("not reached")

    @app.get("/")
    async def endpoint(
        _: None = fw.Depends(function_resource, scope="function"), __: None = fw.Depends(request_resource)
    ) -> Any:
        return fw.responses.StreamingResponse(stream())

    async def main() -> httpx.Response | None:
        with anyio.fail_after(5):
            return await get(app, cancel)

    anyio.run(main)
    assert cancel.scope.cancelled_caught
    assert events == ["function cleanup", "stream", "request cleanup"]

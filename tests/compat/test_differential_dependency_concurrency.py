"""`Depends(..., max_concurrency=N)._concurrency` and the semaphore it hands out behave alike on vivace and FastAPI."""

import gc
from dataclasses import replace
from typing import Annotated, Any
from weakref import ref

import anyio
import anyio.from_thread
import httpx
import pytest


async def get(app: Any, path: str = "/") -> httpx.Response:
    """One GET through the ASGI interface."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.get(path)


def test_declaration_without_limit_has_no_concurrency(fw: Any) -> None:
    """A declaration without max_concurrency carries `_concurrency = None`, even when copied from a limited one."""

    async def dependency() -> str:
        return "ok"

    assert fw.Depends(dependency)._concurrency is None
    assert replace(fw.Depends(dependency, max_concurrency=2), max_concurrency=None)._concurrency is None


def test_limited_declaration_reports_its_limit(fw: Any) -> None:
    """A limited declaration carries an object that states its limit and hands out a semaphore of that size."""

    async def read() -> tuple[int, int]:
        concurrency = fw.Depends(max_concurrency=3)._concurrency
        return concurrency.max_concurrency, concurrency.get_semaphore().value

    assert anyio.run(read) == (3, 3)


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "2"])
def test_invalid_limit_is_rejected(fw: Any, value: Any) -> None:
    """max_concurrency must be a positive int (a bool, float or string is refused)."""
    with pytest.raises(ValueError, match="positive integer or None"):
        fw.Depends(max_concurrency=value)


def test_semaphore_is_shared_within_an_event_loop_only(fw: Any) -> None:
    """The same declaration gives the same semaphore within one event loop and a fresh one in another."""
    declaration = fw.Depends(max_concurrency=1)

    async def twice() -> bool:
        return declaration._concurrency.get_semaphore() is declaration._concurrency.get_semaphore()

    async def one() -> Any:
        return declaration._concurrency.get_semaphore()

    assert anyio.run(twice)
    assert anyio.run(one) is not anyio.run(one)


def test_request_holds_the_semaphore_the_declaration_reports(fw: Any) -> None:
    """While the limited dependency runs, the semaphore from `get_semaphore()` is the one taken, then given back."""
    seen: list[int] = []
    declaration: Any = None

    async def dependency() -> str:
        seen.append(declaration._concurrency.get_semaphore().value)
        return "ok"

    declaration = fw.Depends(dependency, max_concurrency=2)
    app = fw.FastAPI()

    @app.get("/")
    async def endpoint(value: Annotated[str, declaration]) -> str:
        return value

    async def run() -> tuple[int, int]:
        response = await get(app)
        return response.status_code, declaration._concurrency.get_semaphore().value

    assert anyio.run(run) == (200, 2)
    assert seen == [1]


def test_yield_dependency_holds_the_semaphore_until_its_exit(fw: Any) -> None:
    """A limited yield dependency keeps the reported semaphore taken until its exit code runs."""
    seen: list[tuple[str, int]] = []
    declaration: Any = None

    async def dependency() -> Any:
        yield "ok"
        seen.append(("exit", declaration._concurrency.get_semaphore().value))

    declaration = fw.Depends(dependency, max_concurrency=1)
    app = fw.FastAPI()

    @app.get("/")
    async def endpoint(value: Annotated[str, declaration]) -> str:
        seen.append(("endpoint", declaration._concurrency.get_semaphore().value))
        return value

    async def run() -> int:
        assert (await get(app)).status_code == 200
        return int(declaration._concurrency.get_semaphore().value)

    assert anyio.run(run) == 1
    assert seen == [("endpoint", 0), ("exit", 0)]


def test_inferred_dependency_uses_the_declared_semaphore(fw: Any) -> None:
    """`Annotated[Model, Depends(max_concurrency=1)]` (callable taken from the type) counts on that declaration."""
    seen: list[int] = []
    declaration: Any = fw.Depends(max_concurrency=1)

    class Dependency:
        def __init__(self) -> None:  # NOTE: runs in a worker thread, so the loop is asked for the semaphore
            seen.append(anyio.from_thread.run_sync(lambda: declaration._concurrency.get_semaphore().value))

    app = fw.FastAPI()

    @app.get("/")
    async def endpoint(value: Annotated[Dependency, declaration]) -> str:
        return type(value).__name__

    async def run() -> Any:
        return (await get(app)).json()

    assert anyio.run(run) == "Dependency"
    assert seen == [0]


@pytest.mark.parametrize(("old", "new", "shared"), [(2, 2, True), (2, 3, False)])
def test_copy_shares_the_limit_only_when_it_is_unchanged(fw: Any, old: int, new: int, shared: bool) -> None:
    """`dataclasses.replace` keeps the declaration's limit object when the limit is the same, else makes its own."""
    original = fw.Depends(max_concurrency=old)
    copy = replace(original, max_concurrency=new, use_cache=False)
    assert (copy._concurrency is original._concurrency) is shared
    assert copy._concurrency.max_concurrency == new


def test_separate_declarations_stay_apart(fw: Any) -> None:
    """Two identical-looking limited declarations are unequal, so `Annotated` keeps each one."""

    async def dependency() -> str:
        return "ok"

    first = fw.Depends(dependency, max_concurrency=1)
    second = fw.Depends(dependency, max_concurrency=1)
    assert first != second
    assert Annotated[str, second].__metadata__[0] is second
    assert fw.Depends(dependency) == fw.Depends(dependency)


def test_discarded_declaration_frees_its_semaphore(fw: Any) -> None:
    """Dropping the declaration lets its semaphore be collected."""

    async def check() -> None:
        declaration = fw.Depends(max_concurrency=1)
        semaphore = ref(declaration._concurrency.get_semaphore())
        gc.collect()
        assert semaphore() is declaration._concurrency.get_semaphore()
        del declaration
        gc.collect()
        assert semaphore() is None

    anyio.run(check)


def test_app_serves_several_event_loops(fw: Any) -> None:
    """One app with a limited dependency answers from successive asyncio and trio event loops."""

    async def dependency() -> str:
        await anyio.sleep(0)
        return "ok"

    app = fw.FastAPI()

    @app.get("/")
    async def endpoint(value: Annotated[str, fw.Depends(dependency, max_concurrency=1)]) -> str:
        return value

    async def run() -> tuple[int, Any]:
        response = await get(app)
        return response.status_code, response.json()

    results = [anyio.run(run, backend=backend) for backend in ("asyncio", "asyncio", "trio")]
    assert results == [(200, "ok")] * 3

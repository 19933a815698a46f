"""Dependencies and endpoints behind `functools.wraps` wrappers run as their outermost async layer says, as in
FastAPI: an async wrapper around a sync function or a class is awaited, a sync wrapper around an async callable
instance is awaited too."""

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.concurrency import run_in_threadpool


def sync_wrap(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def async_wrap(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(func, *args, **kwargs)

    return wrapper


class Flag:
    """A class dependency: its instance is the value."""

    def __init__(self) -> None:
        self.value = True


class AsyncInstance:
    async def __call__(self) -> bool:
        return True


def plain() -> bool:
    return True


def generator() -> Iterator[bool]:
    yield True


def build(fw: Any) -> Any:
    app = fw.FastAPI()
    cases: dict[str, Any] = {
        "/sync-wrapped-function": sync_wrap(plain),
        "/sync-wrapped-generator": sync_wrap(generator),
        "/async-wrapped-function": async_wrap(plain),
        "/sync-wrapped-async-instance": sync_wrap(AsyncInstance()),
        "/partial-of-function": functools.partial(plain),
    }
    for path, dependency in cases.items():

        def endpoint(value: Any = fw.Depends(dependency)) -> Any:
            return value

        app.get(path)(endpoint)

    @app.get("/async-wrapped-class")
    async def wrapped_class(flag: Any = fw.Depends(async_wrap(Flag))) -> Any:
        return flag.value

    return app


@pytest.mark.parametrize(
    "req",
    [
        "GET /sync-wrapped-function",
        "GET /sync-wrapped-generator",
        "GET /async-wrapped-function",
        "GET /sync-wrapped-async-instance",
        "GET /partial-of-function",
        "GET /async-wrapped-class",
    ],
)
def test_wrapped_dependencies(same: Any, req: Any) -> None:
    """Each wrapped dependency gives the same value as on FastAPI (true, not a coroutine or a generator)."""
    outcomes = same(build, req)
    assert outcomes[0][2] == b"true"

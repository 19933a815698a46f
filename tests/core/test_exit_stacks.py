"""Which routes get FastAPI's exit stacks in the scope, and the stacks' own behaviour (vivace's RequestStack)."""

import asyncio
from contextlib import asynccontextmanager
from typing import Annotated, Any

from vivace import Depends, FastAPI, Request
from vivace._core.exit_stacks import RequestStack, takes_connection, used
from vivace.security import APIKeyHeader, HTTPBearer, OAuth2PasswordBearer
from vivace.testclient import TestClient

STACK_KEYS = ("fastapi_middleware_astack", "fastapi_inner_astack", "fastapi_function_astack")


class OwnBearer(OAuth2PasswordBearer):
    """The application's subclass: its `__call__` is the application's code, which may use the stacks."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        request.scope["fastapi_inner_astack"].callback(request.app.state.log.append, "own bearer cleanup")
        return await super().__call__(request)


def build() -> FastAPI:
    app = FastAPI()
    app.state.log = []
    oauth2 = OAuth2PasswordBearer("token", auto_error=False)

    @app.get("/schemes")
    async def schemes(
        token: Annotated[str | None, Depends(oauth2)],
        bearer: Annotated[Any, Depends(HTTPBearer(auto_error=False))],
        key: Annotated[str | None, Depends(APIKeyHeader(name="x-key", auto_error=False))],
    ) -> str:
        return "ok"

    @app.get("/own")
    async def own(token: Annotated[str | None, Depends(OwnBearer("token", auto_error=False))]) -> str | None:
        return token

    @app.get("/request")
    async def with_request(request: Request) -> list[str]:
        return [key for key in STACK_KEYS if key in request.scope]

    return app


def plan_of(app: FastAPI, path: str) -> Any:
    return next(route for route in app.routes if getattr(route, "path", None) == path).plan  # type: ignore[attr-defined]


def test_vivace_security_schemes_do_not_make_a_route_take_the_connection() -> None:
    """vivace's own schemes read the Request for credentials only: their routes pay nothing for the stacks."""
    app = build()
    assert not takes_connection(plan_of(app, "/schemes"))
    assert takes_connection(plan_of(app, "/request"))


def test_a_scheme_subclass_overriding_call_is_application_code() -> None:
    """A subclass's own __call__ may register cleanup: its route gets the stacks, and the cleanup runs."""
    app = build()
    assert takes_connection(plan_of(app, "/own"))
    with TestClient(app) as client:
        response = client.get("/own", headers={"Authorization": "Bearer abc"})
    assert response.json() == "abc"
    assert app.state.log == ["own bearer cleanup"]


def test_a_route_taking_the_request_sees_the_three_stacks() -> None:
    """The endpoint that takes the Request finds every FastAPI stack key in its scope."""
    with TestClient(build()) as client:
        assert client.get("/request").json() == list(STACK_KEYS)


def test_request_stack_exits_what_was_registered_last_in_first_out() -> None:
    """RequestStack behaves as an AsyncExitStack: every way to register, pop_all, and `async with`."""
    log: list[str] = []

    @asynccontextmanager
    async def context(name: str) -> Any:
        yield
        log.append(name)

    async def callback() -> None:
        log.append("async callback")

    async def main() -> None:
        stack = RequestStack()
        assert not used(stack) and not stack._exit_callbacks  # type: ignore[attr-defined]
        stack.callback(log.append, "callback")
        stack.push_async_callback(callback)
        await stack.enter_async_context(context("context"))
        assert used(stack)
        await stack.aclose()
        assert log == ["context", "async callback", "callback"] and not used(stack)

        moved_from = RequestStack()
        moved_from.callback(log.append, "moved")
        moved = moved_from.pop_all()
        await moved_from.aclose()
        assert log[-1] == "callback"
        await moved.aclose()
        assert log[-1] == "moved"

        async with RequestStack() as stack:
            stack.callback(log.append, "with")
        assert log[-1] == "with"

    asyncio.run(main())


def test_an_unused_request_stack_shares_no_state() -> None:
    """Registering on one RequestStack leaves another (and the class default) empty."""
    first, second = RequestStack(), RequestStack()
    first.callback(print)
    assert used(first) and not used(second)
    assert RequestStack._exit_callbacks == ()  # type: ignore[attr-defined]

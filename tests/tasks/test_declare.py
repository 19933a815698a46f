"""Declaring tasks: what a worker cannot run is refused at decoration; bad arguments are refused at enqueue."""

# NOTE: no `from __future__ import annotations`: the tasks here use dependencies defined inside the tests

from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from vivace import Cookie, Depends, Header, Request, Response, Security
from vivace.background import BackgroundTasks
from vivace.security import HTTPBearer
from vivace.tasks import TaskArgumentsError, TaskDeclarationError, Tasks


class Order(BaseModel):
    sku: str
    quantity: int = Field(gt=0)


def test_decorated_function_is_still_callable() -> None:
    """The decorator returns a Task that calls the function itself when called directly."""
    tasks = Tasks()

    @tasks.task
    def add(a: int, b: int) -> int:
        return a + b

    assert add(2, 3) == 5
    assert add.name == f"{__name__}:test_decorated_function_is_still_callable.<locals>.add"
    assert add.__name__ == "add"


def test_explicit_name_and_duplicate_names() -> None:
    """`name=` sets the name workers use; two tasks with one name are refused."""
    tasks = Tasks()

    @tasks.task(name="emails.send")
    async def send() -> None: ...

    assert tasks["emails.send"] is send
    with pytest.raises(ValueError, match=r"'emails\.send' is already declared"):

        @tasks.task(name="emails.send")
        async def other() -> None: ...


@pytest.mark.parametrize(
    ("annotation", "what"),
    [(Request, "Request"), (Response, "Response"), (BackgroundTasks, "BackgroundTasks")],
)
def test_request_objects_are_declaration_errors(annotation: Any, what: str) -> None:
    """A task asking for a request-only object fails when it is declared, naming the object."""
    tasks = Tasks()

    def task(value: Any) -> None: ...

    task.__annotations__["value"] = annotation
    expected = f"asks for {what} \\('value'\\), which only exists during a request"
    with pytest.raises(TaskDeclarationError, match=expected):
        tasks.task(task)


def test_request_data_in_a_dependency_is_a_declaration_error() -> None:
    """A dependency that reads a header or a cookie cannot run in a worker: refused, naming the dependency."""
    tasks = Tasks()

    def tenant(x_tenant: Annotated[str, Header()]) -> str:
        return x_tenant

    def session(sid: Annotated[str, Cookie()]) -> str:
        return sid

    with pytest.raises(TaskDeclarationError, match=r"the dependency 'tenant' of .* reads 'x_tenant' from the request"):

        @tasks.task
        async def by_tenant(value: Annotated[str, Depends(tenant)]) -> None: ...

    with pytest.raises(TaskDeclarationError, match=r"reads 'sid' from the request \(cookie\)"):

        @tasks.task
        async def by_session(value: Annotated[str, Depends(session)]) -> None: ...


def test_security_dependency_and_generator_are_declaration_errors() -> None:
    """Security schemes read credentials from a request; a generator function is not a task."""
    tasks = Tasks()
    with pytest.raises(TaskDeclarationError, match="security dependency"):

        @tasks.task
        async def secured(token: Annotated[Any, Security(HTTPBearer())]) -> None: ...

    with pytest.raises(TaskDeclarationError, match="is a generator function"):

        @tasks.task
        def numbers() -> Iterator[int]:
            yield 1


def test_scope_rules_apply_to_tasks() -> None:
    """An app-scoped dependency may not depend on a per-run one, as for routes."""
    tasks = Tasks()

    def per_run() -> int:
        return 1

    def shared(value: Annotated[int, Depends(per_run)]) -> int:
        return value

    with pytest.raises(TaskDeclarationError, match='"shared" has scope "app"'):

        @tasks.task
        async def uses(value: Annotated[int, Depends(shared, scope="app")]) -> None: ...


@pytest.mark.anyio
async def test_bad_arguments_fail_at_enqueue() -> None:
    """Missing, mistyped, unknown or surplus arguments raise TaskArgumentsError and enqueue nothing."""
    tasks = Tasks()
    ran: list[Any] = []

    @tasks.task
    async def place(order: Order, note: str = "") -> None:
        ran.append(order)

    async with tasks:
        with pytest.raises(TaskArgumentsError) as missing:
            await place.enqueue()
        assert missing.value.errors == [{"type": "missing", "loc": ("order",), "msg": "Field required", "input": None}]
        with pytest.raises(TaskArgumentsError, match=r"order\.quantity: Input should be greater than 0"):
            await place.enqueue({"sku": "a", "quantity": 0})
        with pytest.raises(TaskArgumentsError, match="colour: Extra inputs are not permitted"):
            await place.enqueue({"sku": "a", "quantity": 1}, colour="red")
        with pytest.raises(TaskArgumentsError, match="Too many positional arguments"):
            await place.enqueue({"sku": "a", "quantity": 1}, "n", "extra")
        with pytest.raises(TaskArgumentsError, match="order: Given twice"):
            await place.enqueue({"sku": "a", "quantity": 1}, order={"sku": "a", "quantity": 1})
        await tasks.join()
    assert ran == []


@pytest.mark.anyio
async def test_arguments_are_validated_and_sent_as_json() -> None:
    """Arguments are converted as the annotations say (models rebuilt, strings parsed) in the task."""
    tasks = Tasks()
    seen: list[Any] = []

    @tasks.task
    async def place(order: Order, copies: int, tags: list[str] | None = None) -> None:
        seen.append((order, copies, tags))

    async with tasks:
        await place.enqueue(Order(sku="a", quantity=2), "3")
        await place.enqueue({"sku": "b", "quantity": 1}, copies=1, tags=["x"])
        await tasks.join()
    assert sorted(seen, key=lambda s: s[0].sku) == [
        (Order(sku="a", quantity=2), 3, None),
        (Order(sku="b", quantity=1), 1, ["x"]),
    ]

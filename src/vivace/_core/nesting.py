"""`yield` dependencies in the flat runner: each one wraps the rest of the request the way `async with` would.

The generic pipeline keeps two `AsyncExitStack`s per request (one exits before the response is sent, the other
after) and reaches each step through three coroutine frames. When the steps allow it, the same order of effects
comes from plain nesting: a `yield` dependency is entered, the rest of the request runs inside it, and its exit
code runs when that rest returns or raises, with the exception thrown into the generator. Nesting reproduces
both exit groups as long as no `scope="function"` dependency comes before a `scope="request"` one (the function
group must exit first, before the response is sent); `nestable` tells, and other plans keep the generic path.

The response is made in two parts, given by the runner: `finish` runs inside every `yield` dependency (the
endpoint's result serialized, or its Response prepared: an error there is thrown into all of them), `deliver`
once the function-scoped ones have exited (the response sent and the background tasks run, inside the
request-scoped ones).

When every `yield` dependency is async and request-scoped (`flat_yields`), a runner may do without the nesting:
it enters the generators in its loop over the steps and leaves them innermost first at the end, and `leave`
gives the nested order of effects when something raises.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, _AsyncGeneratorContextManager
from typing import Any, NamedTuple

import anyio

from vivace._core.handle import NOT_SENT
from vivace._core.plan import DepStep, RoutePlan
from vivace._core.resolve import Context, ShieldedExit, SyncContextInThreads, flat_call
from vivace._core.threads import call_sync
from vivace.exceptions import FastAPIError

__all__ = [
    "ASYNC", "GENERATOR", "SWALLOWED", "NestedSteps", "flat_table", "flat_yields", "is_per_request_yield", "leave",
    "nestable", "nested_steps", "not_stopped",
]

Finish = Callable[[Context], Awaitable[Any]]  # inside every `yield` dependency: what `deliver` will send
Deliver = Callable[[Context, Any], Awaitable[None]]  # after the function-scoped ones exited: send it

_ASYNC, _SYNC, _GENERATOR = range(3)
ASYNC, GENERATOR = _ASYNC, _GENERATOR  # the kinds of an async step and of a `yield` dependency in `flat_table`

#: what a nested part returns when a `yield` dependency swallowed the exception that ended it
SWALLOWED: Any = object()


def nestable(plan: RoutePlan) -> bool:
    """Whether every `yield` dependency of the plan exits in the right group when nested (see the module doc)."""
    function_scoped_seen = False
    for step in plan.steps:
        if not is_per_request_yield(step):
            continue
        if step.exit_before_response:
            function_scoped_seen = True
        elif function_scoped_seen:
            return False
    return True


class NestedSteps(NamedTuple):
    """`await run(0, ctx, False)` runs a plan's steps (after validation), `finish` and `deliver` in that order; it
    returns SWALLOWED when a request-scoped `yield` dependency swallowed the exception that ended the request.
    `shields`: whether the plan has async `yield` dependencies, whose exit code a cleanup scope (`ctx.cleanup_scope`,
    entered around `run` where anyio may cancel) keeps running under cancellation.

    PERF: a NamedTuple, not a frozen dataclass: ~3 M fewer instructions to create the class at import."""

    run: Callable[[int, Context, bool], Awaitable[Any]]
    shields: bool


def nested_steps(plan: RoutePlan, finish: Finish, deliver: Deliver) -> NestedSteps:
    steps = plan.steps
    table = tuple((*_flat(step), step) for step in steps)
    count = len(table)
    # the first function-scoped `yield` dependency: from there on, everything runs before the response is sent
    boundary = next(
        (i for i, step in enumerate(steps) if is_per_request_yield(step) and step.exit_before_response), count
    )

    async def run_part(index: int, ctx: Context, inner: bool) -> Any:
        """Steps from `index` on. Outside the function-scoped part, reaching the boundary means: run the rest,
        which returns what `finish` made, then send it; inside it, the end of the steps means `finish`."""
        results = ctx.results
        while True:
            if index == boundary and not inner:
                prepared = await finish(ctx) if index == count else await run_part(index, ctx, True)
                if prepared is SWALLOWED:
                    raise FastAPIError(NOT_SENT)
                await deliver(ctx, prepared)
                return None
            if index == count:
                return await finish(ctx)
            call, arguments, kind, on_loop, step = table[index]
            index += 1
            if kind == _ASYNC:
                results.append(await call(**arguments(ctx)))
            elif kind == _SYNC:
                results.append(await call_sync(call, on_loop, arguments(ctx)))
            else:
                # an `async with` whose body is the rest of the request, written out to spare a frame
                manager = _manager(step, ctx)
                results.append(await manager.__aenter__())
                try:
                    outcome = await run_part(index, ctx, inner)
                except BaseException as error:
                    if await manager.__aexit__(type(error), error, error.__traceback__):
                        return SWALLOWED
                    raise
                await manager.__aexit__(None, None, None)
                return outcome

    return NestedSteps(run_part, any(step.is_async_generator and is_per_request_yield(step) for step in steps))


def flat_yields(plan: RoutePlan) -> bool:
    """Whether a runner may enter the plan's `yield` dependencies one after the other and leave them with `leave`
    (or one by one, innermost first): each is an async generator exiting after the response (scope="request").

    Sync ones hop to threads and function-scoped ones exit before the response: those plans keep `nested_steps`.
    """
    return all(
        step.is_async_generator and not step.exit_before_response for step in plan.steps if is_per_request_yield(step)
    )


def flat_table(plan: RoutePlan) -> tuple[tuple[Callable[..., Any], Callable[[Context], dict[str, Any]], int, Any], ...]:
    """`(call, arguments, kind, on_loop)` per step; a `yield` dependency's kind is GENERATOR, its call making the
    generator."""
    return tuple(_flat(step) for step in plan.steps)


async def leave(entered: list[AsyncGenerator[Any, None]], error: BaseException) -> bool:
    """Leave the async generators `entered` (outermost first, each one's `yield` reached) as nested `async with`
    blocks over them would when `error` is raised inside the innermost; call it while handling `error`.

    Returns True when one of them swallowed the exception (the ones outside it then exit normally); otherwise
    raises what comes out of the outermost. Each generator exits through the standard library's own exit code
    for `asynccontextmanager`, so what it sees and what it turns the exception into is what `async with` gives.
    """
    return await _leave_from(entered, 0, error)


async def _leave_from(entered: list[AsyncGenerator[Any, None]], index: int, error: BaseException) -> bool:
    manager = _exiting(entered[index])
    try:
        if index + 1 < len(entered):
            await _leave_from(entered, index + 1, error)
        else:
            raise error
    except BaseException as raised:
        if await manager.__aexit__(type(raised), raised, raised.__traceback__):
            return True
        raise
    await manager.__aexit__(None, None, None)
    return True


async def not_stopped(generator: AsyncGenerator[Any, None]) -> None:
    """What leaving an `asynccontextmanager` does when its generator yielded again instead of finishing."""
    try:
        raise RuntimeError("generator didn't stop")
    finally:
        await generator.aclose()


def _exiting(generator: AsyncGenerator[Any, None]) -> _AsyncGeneratorContextManager[Any]:
    """The standard library's context manager over an already entered generator: its `__aexit__` reads only
    the generator (Python 3.11 to 3.13)."""
    manager: _AsyncGeneratorContextManager[Any] = _AsyncGeneratorContextManager.__new__(_AsyncGeneratorContextManager)
    manager.gen = generator
    return manager


def _flat(step: DepStep) -> tuple[Callable[..., Any], Callable[[Context], dict[str, Any]], int, Any]:
    """`(call, arguments, kind, on_loop)` of a step; app-scoped and limited steps go through `call_step`."""
    if is_per_request_yield(step):
        return step.call, step.arguments, _GENERATOR, None
    call, arguments, is_async, on_loop = flat_call(step)
    return call, arguments, _ASYNC if is_async else _SYNC, on_loop


def is_per_request_yield(step: DepStep) -> bool:
    """A `yield` dependency entered and exited by each request (an app-scoped one lives as long as the app)."""
    return step.is_generator and not step.app_scoped


def _manager(step: DepStep, ctx: Context) -> AbstractAsyncContextManager[Any]:
    """The `yield` dependency `step` as an async context manager: sync ones run in worker threads; async ones have
    their exit code shielded when the request runs under a cleanup scope."""
    assert step.context is not None
    manager: AbstractAsyncContextManager[Any] = step.context(**step.arguments(ctx))
    if not step.is_async_generator:
        return SyncContextInThreads(manager)  # type: ignore[arg-type]
    cleanup: anyio.CancelScope | None = getattr(ctx, "cleanup_scope", None)
    return manager if cleanup is None else ShieldedExit(manager, cleanup)

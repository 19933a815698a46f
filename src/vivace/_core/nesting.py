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
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio

from vivace._core.handle import NOT_SENT
from vivace._core.plan import DepStep, RoutePlan
from vivace._core.resolve import Context, ShieldedExit, SyncContextInThreads
from vivace._core.threads import anyio_may_cancel, call_sync
from vivace.exceptions import FastAPIError

__all__ = ["Nested", "nestable", "nested_steps"]

Finish = Callable[[Context], Awaitable[Any]]  # inside every `yield` dependency: what `deliver` will send
Deliver = Callable[[Context, Any], Awaitable[None]]  # after the function-scoped ones exited: send it
Nested = Callable[[Context], Awaitable[None]]

_ASYNC, _SYNC, _GENERATOR = range(3)

#: what a nested part returns when a `yield` dependency swallowed the exception that ended it
_SWALLOWED = object()



def nestable(plan: RoutePlan) -> bool:
    """Whether every `yield` dependency of the plan exits in the right group when nested (see the module doc)."""
    function_scoped_seen = False
    for step in plan.steps:
        if not step.is_generator:
            continue
        if step.exit_before_response:
            function_scoped_seen = True
        elif function_scoped_seen:
            return False
    return True


def nested_steps(plan: RoutePlan, finish: Finish, deliver: Deliver) -> Nested:
    """A coroutine function running the plan's steps (after validation), `finish` and `deliver` in that order."""
    steps = plan.steps
    table = tuple((step.call, step.arguments, _kind(step), step.on_loop, step) for step in steps)
    count = len(table)
    # the first function-scoped `yield` dependency: from there on, everything runs before the response is sent
    boundary = next((i for i, step in enumerate(steps) if step.is_generator and step.exit_before_response), count)
    shields = any(step.is_async_generator and step.is_generator for step in steps)

    async def run_part(index: int, ctx: Context, inner: bool) -> Any:
        """Steps from `index` on. Outside the function-scoped part, reaching the boundary means: run the rest,
        which returns what `finish` made, then send it; inside it, the end of the steps means `finish`."""
        results = ctx.results
        while True:
            if index == boundary and not inner:
                prepared = await finish(ctx) if index == count else await run_part(index, ctx, True)
                if prepared is _SWALLOWED:
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
                return await _within(step, ctx, run_part, index, inner)

    async def run(ctx: Context) -> None:
        ctx.results = []
        if shields and anyio_may_cancel():
            # the cancel scope every async `yield` dependency's exit code is shielded by (see ShieldedExit)
            with anyio.CancelScope() as ctx.cleanup_scope:
                outcome = await run_part(0, ctx, False)
        else:
            outcome = await run_part(0, ctx, False)
        if outcome is _SWALLOWED:
            raise FastAPIError(NOT_SENT)

    return run


def _kind(step: DepStep) -> int:
    if step.is_generator:
        return _GENERATOR
    return _ASYNC if step.is_async else _SYNC


async def _within(
    step: DepStep, ctx: Context, rest: Callable[[int, Context, bool], Awaitable[Any]], index: int, inner: bool
) -> Any:
    """Enter the `yield` dependency `step`, run `rest(index, ctx)` inside it, then its exit code: an `async with`
    whose body is the rest of the request."""
    assert step.context is not None
    manager: AbstractAsyncContextManager[Any] = step.context(**step.arguments(ctx))
    if not step.is_async_generator:
        manager = SyncContextInThreads(manager)  # type: ignore[arg-type]
    else:
        cleanup: anyio.CancelScope | None = getattr(ctx, "cleanup_scope", None)
        if cleanup is not None:
            manager = ShieldedExit(manager, cleanup)
    ctx.results.append(await manager.__aenter__())
    try:
        outcome = await rest(index, ctx, inner)
    except BaseException as error:
        if await manager.__aexit__(type(error), error, error.__traceback__):
            return _SWALLOWED
        raise
    await manager.__aexit__(None, None, None)
    return outcome

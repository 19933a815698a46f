"""Stage 3, run: the coroutine that answers requests for one matched route, chosen once at startup.

Every matcher target is a runner, `await runner(scope, receive, send)`. Most routes get a *direct* runner:
`handle.py`'s stages (validate -> resolve -> call -> serialize -> send) flattened into one coroutine, because on
a small request each extra coroutine frame costs as much as a Pydantic validation. Routes with `yield`
dependencies get the same runner with the dependencies nested around the rest of the request (nesting.py).
What is left (streams, a `yield` dependency with a concurrency limit, or one with scope="function" before one
with scope="request") runs `handle.handle`, which covers every case.

The contract the router relies on: once a runner has tried to send `http.response.start`, an exception it lets out
finds `scope[RESPONSE_STARTED]` set, so it is never answered with a second response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from vivace._core import extract
from vivace._core.exit_stacks import FUNCTION_STACK_KEY, INNER_STACK_KEY, close_now, takes_connection
from vivace._core.forms import close_form
from vivace._core.handle import NOT_SENT, handle, prepare, reject, validate_request
from vivace._core.nesting import (
    ASYNC,
    GENERATOR,
    SWALLOWED,
    NestedSteps,
    flat_table,
    flat_yields,
    is_per_request_yield,
    leave,
    nestable,
    nested_steps,
    not_stopped,
)
from vivace._core.plan import BodyKind, RoutePlan
from vivace._core.resolve import Context, flat_call
from vivace._core.send import LENGTH_HEADERS, InvalidHeader, check_headers, refuse_response, response_start
from vivace._core.send import body_allowed as send_body_allowed
from vivace._core.stream import AFTER_START
from vivace._core.threads import anyio_may_cancel, call_sync
from vivace._core.websocket import handle_websocket
from vivace.exceptions import FastAPIError

__all__ = [
    "RESPONSE_STARTED", "Runner", "Unrouted", "describe", "http_runner", "routing_unread", "tracked", "websocket_runner"
]

Runner = Callable[[Scope, Receive, Send], Awaitable[None]]

RESPONSE_STARTED = "vivace.response_started"


class Unrouted(Exception):
    """Raised by a runner that `routing_unread` vouches for, when its endpoint returned a Response and the scope
    lacks the routing keys (the application skipped them): the caller writes them, then awaits `respond`.

    NOTE: a Response's own `__call__` (a user subclass's) may read the scope, so it gets the scope it always had.
    """

    def __init__(self, respond: Runner) -> None:
        super().__init__()
        self.respond = respond


#: the attribute marking a runner that hands the scope to no code of the application's, except through an
#: exception it lets out (or `Unrouted`); any wrapper around the runner hides it
_ROUTING_UNREAD = "vivace_routing_unread"


def routing_unread(run: object) -> bool:
    """Whether `run`, on a successful request, gives no code that could read it the scope (so the routing keys,
    scope["route"], ["endpoint"], ["app"]..., need not be written before it runs: see `Unrouted`)."""
    return getattr(run, _ROUTING_UNREAD, False) is True


def tracked(run: Runner, *, hand_over: bool = False) -> Runner:
    """`run` with its `send` watched: for targets that send through Response objects or foreign code.

    The headers of the response they start are checked first: an invalid one (which would break the HTTP framing
    or inject a header) is answered with a clean 500 instead, and whatever `run` was sending is stopped. With
    `hand_over`, the watching send carries the one it wraps (stream.AFTER_START), for an event stream's events.
    """

    async def tracked_run(scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                check_headers(message.get("headers", ()))
                scope[RESPONSE_STARTED] = started = True
            await send(message)

        if hand_over:
            setattr(tracking_send, AFTER_START, send)
        try:
            await run(scope, receive, tracking_send)
        except InvalidHeader as error:
            # NOTE: refused unless this layer already let a response out; RESPONSE_STARTED may have been set by
            # a runner inside (under a router's middleware, which then changed the headers)
            if started:
                raise
            await refuse_response(scope, send, error)

    # NOTE: `__wrapped__` keeps what is being run visible (`vivace routes`, tests). PERF: set alone rather than
    # through functools.wraps, whose copying of the name, docstring and attribute dict was ~10 % of a cache hit's
    # in-process cost (a route whose endpoint returns a Response is tracked per request)
    tracked_run.__wrapped__ = run  # type: ignore[attr-defined]
    return tracked_run


def http_runner(plan: RoutePlan) -> Runner:
    if _is_direct(plan):
        if not _has_yield(plan):
            return _direct_runner(plan)
        return _flat_yield_runner(plan) if flat_yields(plan) and not takes_connection(plan) else _yield_runner(plan)

    async def run_plan(scope: Scope, receive: Receive, send: Send) -> None:
        await handle(plan, scope, receive, send)

    return tracked(run_plan, hand_over=plan.stream == "sse")


def websocket_runner(plan: RoutePlan) -> Runner:
    async def run_plan(scope: Scope, receive: Receive, send: Send) -> None:
        await handle_websocket(plan, scope, receive, send)

    return run_plan


def _is_direct(plan: RoutePlan) -> bool:
    return not _generic_reasons(plan)


def _generic_reasons(plan: RoutePlan) -> list[str]:
    """Why a plan needs the generic pipeline; empty when the flat runner serves it."""
    reasons = []
    if plan.stream is not None:
        reasons.append("streamed response")
    if _has_yield(plan) and not nestable(plan):  # NOTE: with the stream above, covers plan.has_generators
        reasons.append("yield dependency with scope='function' before one with scope='request'")
    if any(step.limiter is not None and is_per_request_yield(step) for step in plan.steps):
        reasons.append("max_concurrency on a yield dependency")
    return reasons


def describe(plan: RoutePlan) -> str:
    """Which runner answers the plan's requests, for `vivace routes --plans`."""
    reasons = _generic_reasons(plan)
    if reasons:
        return f"generic pipeline ({', '.join(reasons)})"
    if _has_yield(plan):
        return "flat runner, yield dependencies nested"
    return "flat runner" if _needs_context(plan) else "flat runner, no request inputs"


def _has_yield(plan: RoutePlan) -> bool:
    return any(is_per_request_yield(step) for step in plan.steps)


def _direct_runner(plan: RoutePlan) -> Runner:
    if not _needs_context(plan) and plan.serialize is not None:
        return _constant_input_runner(plan)
    steps = tuple(flat_call(step) for step in plan.steps)
    validates = _reads_request_values(plan)
    has_form = plan.body_kind is BodyKind.form
    max_body_size = plan.max_body_size
    serialize = plan.serialize
    media_type = plan.media_type
    route_status = plan.status_code or 200

    async def run(scope: Scope, receive: Receive, send: Send) -> None:
        if max_body_size is not None:
            receive = extract.limit_receive(scope, receive, max_body_size)
        ctx = Context(scope, receive, send)
        # PERF: a `try` costs nothing until it catches (Python 3.11+)
        try:
            if validates:
                errors = await validate_request(plan, ctx)
                if errors:
                    await reject(plan, ctx, errors)
            results: list[Any] = []
            ctx.results = results
            for call, arguments, is_async, on_loop in steps:
                kwargs = arguments(ctx)
                results.append(await call(**kwargs) if is_async else await call_sync(call, on_loop, kwargs))
            result = results[-1]
            if serialize is None or isinstance(result, Response):  # NOTE: a response class renders the result
                await tracked(_respond_with(plan, ctx, result))(scope, receive, send)
                return
            body = serialize(result)
            extra = ctx.sub_response
            status = extra.status_code if extra is not None and extra.status_code else route_status
            start, body = response_start(status, media_type, body, extra)
            scope[RESPONSE_STARTED] = True
            # PERF: `send.send_prepared` inlined: one coroutine frame less on every request
            await send(start)
            await send({"type": "http.response.body", "body": body})
            background = ctx.background_tasks
            if background is not None:
                await background()
        except InvalidHeader as error:  # set on the injected Response (or by a cached route's render)
            if RESPONSE_STARTED in scope:
                raise
            await refuse_response(scope, send, error)
        finally:
            if has_form:
                await close_form(ctx)  # NOTE: uploaded files stay open until the response and background tasks end

    return run


def _yield_runner(plan: RoutePlan) -> Runner:
    """The flat runner for routes with `yield` dependencies (nested, see nesting.py): validation, the steps, the
    response made inside every `yield` dependency and sent once the function-scoped ones have exited."""
    validates = _reads_request_values(plan)
    has_form = plan.body_kind is BodyKind.form
    max_body_size = plan.max_body_size
    serialize = plan.serialize
    media_type = plan.media_type
    route_status = plan.status_code or 200

    async def finish(ctx: Context) -> Any:
        result = ctx.results[-1]
        if serialize is None or isinstance(result, Response):  # NOTE: a response class renders the result
            return await prepare(plan, ctx, result)
        extra = ctx.sub_response
        status = extra.status_code if extra is not None and extra.status_code else route_status
        return response_start(status, media_type, serialize(result), extra)

    nested = _nested(plan, finish)
    run_steps, shields = nested.run, nested.shields

    async def run(scope: Scope, receive: Receive, send: Send) -> None:
        if max_body_size is not None:
            receive = extract.limit_receive(scope, receive, max_body_size)
        ctx = Context(scope, receive, send)
        try:
            if validates:
                errors = await validate_request(plan, ctx)
                if errors:
                    await reject(plan, ctx, errors)
            ctx.results = []
            if shields and anyio_may_cancel():
                # the scope the exit code of async `yield` dependencies is shielded in (see resolve.ShieldedExit)
                with anyio.CancelScope() as ctx.cleanup_scope:
                    outcome = await run_steps(0, ctx, False)
            else:
                outcome = await run_steps(0, ctx, False)
            if outcome is SWALLOWED and not getattr(ctx, "delivered", False):
                # NOTE: as FastAPI: an exception swallowed once the response is out (one raised by the exit code
                # of a `yield` dependency inside) is no error
                raise FastAPIError(NOT_SENT)
        except InvalidHeader as error:
            if RESPONSE_STARTED in scope:
                raise
            await refuse_response(scope, send, error)
        finally:
            if has_form:
                await close_form(ctx)

    return run


def _flat_yield_runner(plan: RoutePlan) -> Runner:  # noqa: C901 - see `run`
    """`_yield_runner` for routes whose `yield` dependencies are async generators exiting after the response
    (`nesting.flat_yields`), on a task no anyio cancel scope encloses (a server's request task): the generators
    are entered in the loop over the steps and left innermost first once the response and background tasks
    are done, as nested `async with` blocks would leave them (`nesting.leave` when something raises).

    PERF: one coroutine frame for the whole request instead of one per step, `finish` and `deliver`, and no
    `asynccontextmanager` object per generator: /session -15k instructions in-process. Where anyio may cancel
    the task, the nested runner runs instead: it shields the exit code (see resolve.ShieldedExit).
    """
    nested = _yield_runner(plan)
    table = flat_table(plan)
    validates = _reads_request_values(plan)
    has_form = plan.body_kind is BodyKind.form
    max_body_size = plan.max_body_size
    serialize = plan.serialize
    media_type = plan.media_type
    route_status = plan.status_code or 200

    async def run(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: C901 - one frame on purpose (PERF)
        if anyio_may_cancel():
            await nested(scope, receive, send)
            return
        if max_body_size is not None:
            receive = extract.limit_receive(scope, receive, max_body_size)
        ctx = Context(scope, receive, send)
        try:
            if validates:
                errors = await validate_request(plan, ctx)
                if errors:
                    await reject(plan, ctx, errors)
            results: list[Any] = []
            ctx.results = results
            entered: list[Any] = []
            swallowed = delivered = False
            try:
                for call, arguments, kind, on_loop in table:
                    if kind == GENERATOR:
                        generator = call(**arguments(ctx))
                        try:
                            results.append(await generator.__anext__())
                        except StopAsyncIteration:
                            raise RuntimeError("generator didn't yield") from None
                        entered.append(generator)
                    elif kind == ASYNC:
                        results.append(await call(**arguments(ctx)))
                    else:
                        results.append(await call_sync(call, on_loop, arguments(ctx)))
                result = results[-1]
                if serialize is None or isinstance(result, Response):  # NOTE: a response class renders the result
                    await tracked(await prepare(plan, ctx, result))(scope, receive, send)
                    delivered = True
                else:
                    extra = ctx.sub_response
                    status = extra.status_code if extra is not None and extra.status_code else route_status
                    start, body = response_start(status, media_type, serialize(result), extra)
                    scope[RESPONSE_STARTED] = True
                    await send(start)
                    await send({"type": "http.response.body", "body": body})
                    background = ctx.background_tasks
                    if background is not None:
                        await background()
                    delivered = True
            except BaseException as error:
                if not entered:
                    raise
                swallowed = await leave(entered, error)
            else:
                # leaving normally, innermost first; what one raises is raised inside the ones around it
                while entered:
                    generator = entered.pop()
                    try:
                        await generator.__anext__()
                        await not_stopped(generator)  # it yielded again: raises
                    except StopAsyncIteration:
                        continue
                    except BaseException as error:
                        if not entered:
                            raise
                        swallowed = await leave(entered, error)
                        break
            if swallowed and not delivered:  # NOTE: see `_yield_runner`
                raise FastAPIError(NOT_SENT)
        except InvalidHeader as error:
            if RESPONSE_STARTED in scope:
                raise
            await refuse_response(scope, send, error)
        finally:
            if has_form:
                await close_form(ctx)

    return run


async def _deliver(ctx: Context, prepared: Any) -> None:
    """Send what a `yield` runner's `finish` made (a Response, or the start message and body), then the
    background tasks."""
    if isinstance(prepared, Response):
        await tracked(prepared)(ctx.scope, ctx.receive, ctx.send)
        ctx.delivered = True
        return
    start, body = prepared
    ctx.scope[RESPONSE_STARTED] = True
    send = ctx.send
    await send(start)
    await send({"type": "http.response.body", "body": body})
    background = ctx.background_tasks
    if background is not None:
        await background()
    ctx.delivered = True


def _nested(plan: RoutePlan, finish: Callable[[Context], Awaitable[Any]]) -> NestedSteps:
    """The plan's nested steps; for a route that takes the connection, with the scope's stacks closed where FastAPI
    exits them: cleanup registered there during the request exits before the route's own `yield` dependencies of
    the same scope (last in, first out)."""
    if takes_connection(plan):
        return nested_steps(plan, _closing_first(finish), _deliver_then_close)
    return nested_steps(plan, finish, _deliver)


def _closing_first(finish: Callable[[Context], Awaitable[Any]]) -> Callable[[Context], Awaitable[Any]]:
    """`finish` after the scope's function stack (still inside the function-scoped `yield` dependencies)."""

    async def close_then_finish(ctx: Context) -> Any:
        await close_now(ctx.scope, FUNCTION_STACK_KEY)
        return await finish(ctx)

    return close_then_finish


async def _deliver_then_close(ctx: Context, prepared: Any) -> None:
    """`_deliver`, then the scope's inner stack (still inside the request-scoped `yield` dependencies)."""
    await _deliver(ctx, prepared)
    await close_now(ctx.scope, INNER_STACK_KEY)


def _reads_request_values(plan: RoutePlan) -> bool:
    """Whether the plan extracts and validates path, query, header, cookie or body values."""
    return plan.path_extractor is not None or bool(plan.extractors) or plan.body_kind is not BodyKind.none


def _needs_context(plan: RoutePlan) -> bool:
    """Whether anything takes an argument (a request value, an earlier result, the Request...), a step is managed
    (app-scoped, limited: `call_step` reads the Context) or a body limit applies (an explicit `max_body_size`
    refuses a too-large declared body even when nothing reads it)."""
    return (
        _reads_request_values(plan)
        or plan.max_body_size is not None
        or any(
            (step.args and step.native is None) or step.app_scoped or step.limiter is not None for step in plan.steps
        )
    )


def _constant_input_runner(plan: RoutePlan) -> Runner:
    """Routes whose dependencies and endpoint take no arguments (`GET /health`, `GET /hello`), answered as JSON.

    PERF: nothing to validate and nothing to pass, so no Context is built, and the response headers are known
    up to the body's length.
    """
    if any(step.native is not None for step in plan.steps):
        return _checked_constant_input_runner(plan)
    calls = tuple((step.call, step.is_async, step.on_loop) for step in plan.steps)
    only_call = calls[0][0] if len(calls) == 1 and calls[0][1] else None  # the common case: an async endpoint
    serialize, status, content_type, body_allowed = _json_answer(plan)

    async def run(scope: Scope, receive: Receive, send: Send) -> None:
        if only_call is not None:
            result = await only_call()
        else:
            result = None
            for call, is_async, on_loop in calls:
                if is_async:
                    result = await call()
                else:
                    result = await call_sync(call, on_loop, {})
        # PERF: the type test first: a dict is never a Response, and `isinstance` costs more (/hello: -0.2k)
        if type(result) is not dict and isinstance(result, Response):
            respond = tracked(_respond_with(plan, Context(scope, receive, send), result))
            if "route" not in scope:
                raise Unrouted(respond)  # NOTE: the Response is given the scope: with its routing keys
            await respond(scope, receive, send)
            return
        body = serialize(result)
        if body_allowed:
            headers = [LENGTH_HEADERS[len(body)], content_type]
        else:
            headers, body = [content_type], b""
        try:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        except BaseException:
            # PERF: RESPONSE_STARTED is only read when an exception reaches the router, so it is set on the way
            # out rather than before every response (/hello: -0.2k)
            scope[RESPONSE_STARTED] = True
            raise

    # NOTE: its steps take no argument (no Request, no app-scoped value), so the scope reaches only the server's
    # `send`, and an exception's or a returned Response's handling
    setattr(run, _ROUTING_UNREAD, True)
    return run


def _checked_constant_input_runner(plan: RoutePlan) -> Runner:
    """`_constant_input_runner` for routes whose dependencies include native checks (see DepStep.native: a memory
    rate limit): each check runs in its place among the steps, and the headers it returns follow the route's own
    (dropped, as the injected Response's would be, when the endpoint returns a Response).

    PERF: no Context, Request or Response object for the check, its headers appended as they are: a memory
    `RateLimit` on a route returning a small dict adds ~15k instructions a request under uvicorn instead of ~54k
    (bench/beyond_instructions.py), ~12k of them uvicorn writing the two header lines.
    """
    steps = tuple((step.native, step.call, step.is_async, step.on_loop) for step in plan.steps)
    (check, _, _, _), (_, endpoint, endpoint_is_async, _) = steps[0], steps[-1]
    only_check = check if len(steps) == 2 and endpoint_is_async else None  # the common case: one check, async endpoint
    # NOTE: a native check's headers are its own to check, once, at startup
    serialize, status, content_type, body_allowed = _json_answer(plan)

    async def run(scope: Scope, receive: Receive, send: Send) -> None:
        extra: tuple[tuple[bytes, bytes], ...]
        if only_check is not None:
            extra = only_check(scope)
            result = await endpoint()
        else:
            extra = ()
            result = None
            for native, call, is_async, on_loop in steps:
                if native is not None:
                    extra += native(scope)
                elif is_async:
                    result = await call()
                else:
                    result = await call_sync(call, on_loop, {})
        if isinstance(result, Response):
            await tracked(_respond_with(plan, Context(scope, receive, send), result))(scope, receive, send)
            return
        body = serialize(result)
        if body_allowed:
            headers = [LENGTH_HEADERS[len(body)], content_type, *extra]
        else:
            headers, body = [content_type, *extra], b""
        scope[RESPONSE_STARTED] = True
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return run


def _json_answer(plan: RoutePlan) -> tuple[Callable[[Any], bytes], int, tuple[bytes, bytes], bool]:
    """What a constant-input runner's JSON answer needs, worked out once: the serializer, the status, the
    content-type header (checked here, once; the length that joins it is digits) and whether a body may be sent."""
    serialize = plan.serialize
    assert serialize is not None
    status = plan.status_code or 200
    content_type = (b"content-type", plan.media_type)
    check_headers([content_type])
    return serialize, status, content_type, send_body_allowed(status)


def _respond_with(plan: RoutePlan, ctx: Context, result: Response) -> Runner:
    async def respond(scope: Scope, receive: Receive, send: Send) -> None:
        response = await prepare(plan, ctx, result)
        await response(scope, receive, send)

    return respond

"""The request pipeline in order, for every kind of route — read this file first.

    match (app.py) -> extract -> validate -> resolve -> call -> serialize -> send

`handle` runs one HTTP request against one compiled `RoutePlan`. Exceptions propagate to `app.py`, which hands
them to the exception handlers, exactly as FastAPI's exception middleware would. Most routes are served by the
same stages flattened into one coroutine (`runner.py`, `yield` dependencies nested by `nesting.py`); this generic
path serves streamed responses and the `yield` arrangements the flat runners leave out (`runner._generic_reasons`
lists them), and is the reference the flat runners must agree with.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from vivace._core import extract
from vivace._core.forms import close_form, validate_form
from vivace._core.plan import BodyKind, RoutePlan
from vivace._core.resolve import Context, run_steps, run_steps_skipping
from vivace._core.send import body_allowed, response_start, send_bytes, send_prepared
from vivace._core.stream import drainable, streaming_response
from vivace.exceptions import FastAPIError, RequestValidationError, ResponseValidationError

__all__ = ["NOT_SENT", "endpoint_context", "handle", "locate_error"]


async def handle(plan: RoutePlan, scope: Scope, receive: Receive, send: Send) -> None:
    ctx = Context(scope, extract.limit_receive(scope, receive, plan.max_body_size), send)
    if plan.body_kind is BodyKind.form:
        try:
            await _handle(plan, ctx)
        finally:
            await close_form(ctx)  # NOTE: uploaded files stay open until the response and background tasks end
        return
    await _handle(plan, ctx)


async def _handle(plan: RoutePlan, ctx: Context) -> None:
    errors = await validate_request(plan, ctx)
    if errors:
        await reject(plan, ctx, errors)
    if plan.has_generators:
        await _run_with_exit_stacks(plan, ctx)
        return
    result = await run_steps(plan.steps, ctx)
    await respond(plan, ctx, result)


async def validate_request(plan: RoutePlan, ctx: Context) -> list[dict[str, Any]]:
    """Extract + validate every location the plan reads, filling `ctx.values`; returns FastAPI-shaped errors."""
    values = ctx.values
    errors: list[dict[str, Any]] = []
    scope = ctx.scope
    if plan.path_extractor is not None:
        found, bad = plan.path_extractor.validate(extract.MappingSource(scope["path_params"]))
        values.update(found)
        errors.extend(bad)
    for extractor in plan.extractors:
        found, bad = extractor.validate(_source(extractor.location, scope))
        values.update(found)
        errors.extend(bad)
    if plan.body_kind is not BodyKind.none:
        found, bad = await _validate_body(plan, ctx)
        values.update(found)
        errors.extend(bad)
    return errors


def _source(location: str, scope: Scope) -> Any:
    if location == "query":
        return extract.query(scope)
    if location == "header":
        return extract.headers(scope)
    return extract.cookies(scope)


async def _validate_body(plan: RoutePlan, ctx: Context) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if plan.body_kind is BodyKind.form:
        return await validate_form(plan, ctx)
    ctx.body = await extract.read_body(ctx.receive, ctx.scope, plan.max_body_size)
    is_json = extract.is_json_content(extract.content_type(ctx.scope), strict=plan.strict_content_type)
    assert plan.body_extractor is not None
    return plan.body_extractor.validate((ctx.body, is_json))


async def reject(plan: RoutePlan, ctx: Context, errors: list[dict[str, Any]]) -> None:
    """FastAPI still runs the dependencies whose own inputs are valid (one may raise first, e.g. a 401)."""
    failed = {key for step in plan.steps for key in step.needs if key not in ctx.values}

    async def run() -> None:
        await run_steps_skipping(plan.steps, ctx, lambda step: bool(step.needs & failed))

    if len(plan.steps) > 1:
        if plan.has_generators:
            async with AsyncExitStack() as ctx.request_stack, AsyncExitStack() as ctx.function_stack:
                await run()
                # NOTE: raised inside, as FastAPI does: the `yield` dependencies that ran see the error at `yield`
                raise _validation_error(plan, ctx, errors)
            raise FastAPIError(NOT_SENT)  # a dependency swallowed the error: there is nothing to answer
        await run()
    raise _validation_error(plan, ctx, errors)


def _validation_error(plan: RoutePlan, ctx: Context, errors: list[dict[str, Any]]) -> RequestValidationError:
    located = endpoint_context(plan.endpoint_ctx, ctx.scope)
    return RequestValidationError(errors, body=_error_body(plan, ctx), endpoint_ctx=located)  # type: ignore[arg-type]


def endpoint_context(context: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """A route's compiled endpoint context with the path as FastAPI names it for this request: the request's
    method ("WS" for a WebSocket) and the route's path under the root path of the app it is mounted in
    (`GET /sub/items/`)."""
    route_path = context["path"].partition(" ")[2]
    method = "WS" if scope["type"] == "websocket" else scope.get("method", "GET")
    return {**context, "path": f"{method} {scope.get('root_path', '').rstrip('/')}{route_path}"}


def locate_error(exc: Exception, scope: Scope) -> None:
    """Give a ResponseValidationError (raised by a serializer, which has no scope) this request's endpoint path."""
    if isinstance(exc, ResponseValidationError) and exc.endpoint_ctx and "path" in exc.endpoint_ctx:
        located = endpoint_context(dict(exc.endpoint_ctx), scope)
        exc.endpoint_ctx = located  # type: ignore[assignment]
        exc.endpoint_path = located["path"]


def _error_body(plan: RoutePlan, ctx: Context) -> Any:
    """The body as FastAPI exposes it on RequestValidationError: parsed JSON when it is JSON."""
    if not ctx.body:
        return None
    if extract.is_json_content(extract.content_type(ctx.scope), strict=plan.strict_content_type):
        try:
            return json.loads(ctx.body)
        except json.JSONDecodeError as exc:
            return exc.doc  # NOTE: FastAPI exposes the undecodable JSON document as text
        except ValueError:
            return ctx.body
    return ctx.body


async def _run_with_exit_stacks(plan: RoutePlan, ctx: Context) -> None:
    """`yield` dependencies: scope="function" exits before the response is sent, the default after it."""
    sent = False
    async with AsyncExitStack() as ctx.request_stack:
        async with AsyncExitStack() as ctx.function_stack:
            result = await run_steps(plan.steps, ctx)
            serialize = _byte_serializer(plan, result)
            if serialize is not None:
                # PERF: as in `respond`, no Response object; the messages are built here, so the headers set on
                # the injected Response so far count, and sent once the function-scoped dependencies have exited
                start, body = response_start(
                    _status(plan, ctx) or 200, plan.media_type, serialize(result), ctx.sub_response
                )
                background, response = ctx.background_tasks, None
            else:
                response = await prepare(plan, ctx, result)
        if response is None:
            await send_prepared(ctx.send, start, body, background)
        else:
            await response(ctx.scope, ctx.receive, ctx.send)
        sent = True
    if not sent:
        raise FastAPIError(NOT_SENT)


NOT_SENT = (
    "Response not awaited. Most likely the application code is raising an exception and a dependency with yield "
    "catches it (a bare `except:` or `except Exception:`) without raising it again."
)


def _byte_serializer(plan: RoutePlan, result: Any) -> Callable[[Any], bytes] | None:
    """The common case, the route's prebuilt serializer making the body with no Response object; else None."""
    if plan.stream is not None or isinstance(result, Response):
        return None
    return plan.serialize


async def respond(plan: RoutePlan, ctx: Context, result: Any) -> None:
    serialize = _byte_serializer(plan, result)
    if serialize is not None:
        # PERF: the common case sends prebuilt headers directly, with no Response object (~25% of FastAPI's cost).
        body = serialize(result)
        status = _status(plan, ctx) or 200
        await send_bytes(ctx.send, status, plan.media_type, body, ctx.sub_response, ctx.background_tasks)
        return
    response = await prepare(plan, ctx, result)
    await response(ctx.scope, ctx.receive, ctx.send)


def _status(plan: RoutePlan, ctx: Context) -> int | None:
    """The injected Response's status if set, else the route's; None lets a response class use its own default."""
    sub = ctx.sub_response
    if sub is not None and sub.status_code:
        return sub.status_code
    return plan.status_code


async def prepare(plan: RoutePlan, ctx: Context, result: Any) -> Response:
    """A Response object for the cases that need one: returned by the endpoint, streamed, or a custom class."""
    background = ctx.background_tasks
    if isinstance(result, Response):
        if result.background is None and background is not None:
            result.background = background
        return drainable(result)  # NOTE: a StreamingResponse ends cleanly when the process drains
    status = _status(plan, ctx)
    status_arg: dict[str, Any] = {} if status is None else {"status_code": status}
    if plan.stream is not None:
        assert plan.stream_item is not None
        streamed = await streaming_response(
            plan.stream, result, plan.stream_item, plan.response_class, status_arg, ctx.sub_response,
        )
        streamed.background = background
        return streamed
    if plan.serialize is not None:
        response = Response(plan.serialize(result), media_type="application/json", **status_arg)
    else:
        response = plan.response_class(plan.encode(result), **status_arg)
    if not body_allowed(response.status_code):
        response.body = b""
    response.background = background
    sub = ctx.sub_response
    if sub is not None:
        response.raw_headers.extend(sub.raw_headers)
    return response

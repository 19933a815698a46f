"""A task's signature, analysed once with vivace's own dependency machinery into a plan a worker runs.

The task function is analysed like an endpoint (`_core.signature.analyse`) and flattened like a route
(`_core.compile.flatten`): its `Depends(...)` become the same de-duplicated steps, app-scoped values come from the
same `AppScope`, `yield` dependencies are torn down after each attempt. What a task cannot have is anything read
from a request: `Request`, headers, cookies, path parameters, forms, security schemes. Every other parameter, of
the task or of one of its dependencies, is a task argument, read by name and validated by one generated model.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Annotated, Any

import anyio
from pydantic import BaseModel, ConfigDict, Field, PydanticSchemaGenerationError, ValidationError, create_model

from vivace._core.compile import flatten, is_generator_callable
from vivace._core.plan import DepStep
from vivace._core.resolve import Context, run_steps, warm_app_scoped
from vivace._core.signature import Dependant, Location, ParamField, analyse, get_typed_signature
from vivace.exceptions import FastAPIError
from vivace.tasks._errors import TaskArgumentsError, TaskDeclarationError

__all__ = ["TaskPlan", "build_plan"]

_ARGUMENT_LOCATIONS = (Location.query, Location.body)
_SPECIAL_NAMES = {
    "request": "Request", "websocket": "WebSocket", "http_connection": "HTTPConnection", "response": "Response",
    "background_tasks": "BackgroundTasks", "security_scopes": "SecurityScopes",
}  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class TaskPlan:
    """The steps that run a task (its dependencies, then the task itself) and the model of its arguments."""

    task: str
    steps: tuple[DepStep, ...]
    arguments: type[BaseModel]  # fields named by value key, aliased by argument name
    positional: tuple[str, ...]  # the argument names of the task's own parameters, in order

    def validate(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments of an `enqueue()` call checked and turned into JSON-able data, or TaskArgumentsError."""
        if len(args) > len(self.positional):
            raise TaskArgumentsError(self.task, [_error("too_many_positional", (), "Too many positional arguments")])
        named = dict(zip(self.positional, args, strict=False))
        for name in set(named) & set(kwargs):
            raise TaskArgumentsError(self.task, [_error("multiple_values", (name,), "Given twice")])
        return self._check({**named, **kwargs}).model_dump(mode="json", by_alias=True)

    def values(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The step inputs (by value key) from a message's arguments, validated again where the task runs."""
        checked = self._check(payload)
        return {key: getattr(checked, key) for key in type(checked).model_fields}

    def _check(self, data: Mapping[str, Any]) -> BaseModel:
        try:
            return self.arguments.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            # NOTE: a missing argument reports no input (Pydantic would give the whole arguments dict)
            shaped = [
                _error(e["type"], tuple(e["loc"]), e["msg"], None if e["type"] == "missing" else e.get("input"))
                for e in errors
            ]
            raise TaskArgumentsError(self.task, shaped) from None

    async def run(self, owner: Any, values: dict[str, Any]) -> Any:
        """Resolve the dependencies and call the task; `yield` dependencies are closed before this returns."""
        ctx = _context(owner)
        ctx.values = values
        async with AsyncExitStack() as request_stack:
            ctx.request_stack = request_stack
            async with AsyncExitStack() as function_stack:
                ctx.function_stack = function_stack
                return await run_steps(self.steps, ctx)

    async def warm(self, owner: Any) -> None:
        """Create the task's app-scoped dependencies now (a worker's startup) rather than at its first run."""
        if any(step.app_scoped for step in self.steps):
            await warm_app_scoped(self.steps, _context(owner))


def _error(kind: str, loc: tuple[Any, ...], msg: str, value: Any = None) -> dict[str, Any]:
    return {"type": kind, "loc": loc, "msg": msg, "input": value}


async def _never_receive() -> Any:
    raise RuntimeError("a task has no request to receive from")  # pragma: no cover - request inputs are rejected


async def _never_send(message: Any) -> None:
    raise RuntimeError("a task has no response to send")  # pragma: no cover - request inputs are rejected


def _context(owner: Any) -> Context:
    # NOTE: the resolver finds app-scoped values on `scope["app"].app_scope`: the application's own AppScope
    return Context({"type": "task", "app": owner}, _never_receive, _never_send)


def build_plan(call: Callable[..., Any], name: str, overrides: Mapping[Any, Any] | None = None) -> TaskPlan:
    """Analyse `call` (with `overrides` applied) into a plan; a declaration a worker cannot run is an error."""
    if is_generator_callable(call):
        raise TaskDeclarationError(f"Task {name!r} is a generator function; a task returns one value")
    try:
        root = analyse(call, overrides=overrides)
        for node in root.walk():
            _reject_request_inputs(node, name, is_task=node is root)
        graph = flatten(root, [])
    except FastAPIError as exc:
        if isinstance(exc, TaskDeclarationError):
            raise
        raise TaskDeclarationError(f"Task {name!r}: {exc}") from exc
    fields = [entry for location in _ARGUMENT_LOCATIONS for entry in graph.fields.get(location, [])]
    own = {param.name: param.alias for param in [*root.query_params, *root.body_params]}
    positional = tuple(own[name] for name in get_typed_signature(call).parameters if name in own)
    steps = list(graph.steps)
    steps[-1] = _abandoning_thread(steps[-1])
    return TaskPlan(task=name, steps=tuple(steps), arguments=_model(name, fields), positional=positional)


def _reject_request_inputs(node: Dependant, task: str, *, is_task: bool) -> None:
    name = getattr(node.call, "__name__", type(node.call).__name__)
    where = f"task {task!r}" if is_task else f"the dependency {name!r} of {task!r}"
    if node.is_security:
        raise TaskDeclarationError(f"{where} is a security dependency, which reads credentials from a request")
    if node.specials:
        param_name, special = next(iter(node.specials.items()))
        raise TaskDeclarationError(
            f"{where} asks for {_SPECIAL_NAMES[special.value]} ({param_name!r}), which only exists during a request; "
            "a task runs in a worker, outside any request"
        )
    read = [*node.path_params, *node.header_params, *node.cookie_params]
    read += [p for p in node.body_params if p.location is Location.form]
    if read:
        param = read[0]
        raise TaskDeclarationError(
            f"{where} reads {param.name!r} from the request ({param.location.value}); a task's inputs are its "
            "arguments, given to enqueue()"
        )


def _model(task: str, fields: Sequence[tuple[str, ParamField]]) -> type[BaseModel]:
    definitions = {key: _field(param) for key, param in fields}
    config = ConfigDict(extra="forbid")
    try:
        with warnings.catch_warnings():
            # NOTE: declaration-only attributes (examples, deprecated) make Pydantic warn; they mean nothing here
            warnings.simplefilter("ignore")
            return create_model(f"{task}Arguments", __config__=config, **definitions)  # type: ignore[call-overload,no-any-return]
    except PydanticSchemaGenerationError as exc:
        raise TaskDeclarationError(
            f"Task {task!r}: an argument's type cannot be validated or sent to a worker ({exc}); use standard "
            "types, Pydantic models or dataclasses"
        ) from None


def _field(param: ParamField) -> tuple[Any, Any]:
    info = param.field_info
    annotation = Annotated[(param.annotation, *info.metadata)] if info.metadata else param.annotation
    if info.default_factory is not None:
        return annotation, Field(default_factory=info.default_factory, alias=param.alias)
    if info.is_required():
        return annotation, Field(alias=param.alias)
    return annotation, Field(default=info.default, alias=param.alias)


def _abandoning_thread(step: DepStep) -> DepStep:
    """A `def` task runs in a thread that a time limit stops waiting for (a thread cannot be interrupted)."""
    if step.is_async:
        return step
    function = step.call

    async def in_thread(**kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(functools.partial(function, **kwargs), abandon_on_cancel=True)

    return dataclasses.replace(step, call=in_thread, is_async=True)

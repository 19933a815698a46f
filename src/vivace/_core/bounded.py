"""Large JSON bodies validated with memory bounded by the error cap, not by the number of errors.

Pydantic builds every error of a validation before it returns: a 16 MiB body of four million bad list items
made about 2 GB of error objects (a few hundred bytes each) that `errors.py` then cut to MAX_ERRORS entries. A
body over LARGE_BODY bytes is therefore validated by a second validator of the same core schema in which every
list, set, dict and tuple is guarded:

- a guard counts, in a budget shared by the whole validation, the errors of what it validated;
- a list, set or dict of more than CHUNK items is validated CHUNK items at a time, and once the budget is over
  MAX_ERRORS the items left are not validated: the errors found so far are raised (their positions shifted to
  the whole container's), and the answer says that validation stopped;
- a container reached after that is not validated either: it fails with an UNCHECKED entry, dropped from the
  answer, so that nothing unvalidated can ever reach the endpoint;
- a model or TypedDict that forbids extra keys, given an object with more than MAX_ERRORS of them, is validated
  with its own keys and the first MAX_ERRORS + 1 extra ones only (one `extra_forbidden` error each).

Below the cap the guards change nothing: a container whose errors fit is validated again as a whole, natively,
so the 422 lists Pydantic's exact errors; over it, the listed errors are the first ones full validation would
list. A node that may throw errors away (a union's failed branches, a wrap validator, a custom error replacing
the inner ones, `on_error="default"`) is left as it is, natively validated: only the errors it raises are counted,
by the guard around it. Containers inside such a node are therefore not bounded (see docs/security.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, get_args

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError, SchemaValidator, core_schema

from vivace._core.errors import MAX_ERRORS, UNCHECKED

__all__ = ["CHUNK", "LARGE_BODY", "BoundedValidator", "Outcome"]

#: bodies up to this many bytes keep the one-call validation (about 100,000 errors at most for usual models)
LARGE_BODY = 64 * 1024
#: items of a large container validated per call
CHUNK = 256

Outcome = tuple[Any, ValidationError | None, bool]  # value, error, whether validation stopped early
Handler = Callable[[Any], Any]
Guard = Callable[[Any, Handler], Any]

_CONTAINERS = frozenset(("list", "set", "frozenset", "dict", "tuple"))
_CHUNKED = frozenset(("list", "set", "frozenset", "dict"))
_SWALLOWING = frozenset(("union", "tagged-union", "lax-or-strict", "function-wrap", "custom-error"))
# keys whose values are not validation schemas
_NOT_SCHEMAS = frozenset(("serialization", "metadata", "default"))
_BUILTIN_TYPES = frozenset(get_args(core_schema.ErrorType))


class _Budget:
    """One validation's errors counted so far, how many isolating nodes it is inside, whether it stopped early."""

    __slots__ = ("count", "isolated", "stopped")

    def __init__(self) -> None:
        self.count = 0
        self.isolated = 0
        self.stopped = False


_BUDGET: ContextVar[_Budget] = ContextVar("vivace_error_budget")


class BoundedValidator:
    """The guarded twin of a validator's core schema, built the first time a large body needs it."""

    __slots__ = ("_schema", "_validator")

    def __init__(self, schema: core_schema.CoreSchema) -> None:
        self._schema = schema
        self._validator: SchemaValidator | None = None

    def validate(self, payload: Any) -> Outcome:
        """Validate a decoded JSON body: (value, None, False), or (None, the bounded error, stopped early)."""
        if self._validator is None:
            self._validator = _build(self._schema)
        budget = _Budget()
        token = _BUDGET.set(budget)
        try:
            return self._validator.validate_python(payload, from_attributes=True), None, False
        except ValidationError as exc:
            return None, exc, budget.stopped
        finally:
            _BUDGET.reset(token)


def _build(schema: core_schema.CoreSchema) -> SchemaValidator:
    guarded_schema = guarded(schema)
    try:
        with _schemas_read(guarded_schema):
            return SchemaValidator(guarded_schema)
    except Exception:  # pragma: no cover - NOTE: a schema the guards do not fit: validated as before, unbounded
        return SchemaValidator(schema)


def guarded(node: Any) -> Any:
    """A copy of a core schema (or of part of one) with its containers and error-swallowing nodes guarded."""
    if isinstance(node, list):
        return [guarded(item) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind in _SWALLOWING and not _passes_errors_on(node):
        return _wrapped(_isolating_guard, node)  # NOTE: not copied: a union labels its errors by its choices' types
    copied = {key: value if key in _NOT_SCHEMAS else guarded(value) for key, value in node.items()}
    if kind == "default" and node.get("on_error", "raise") != "raise":
        # NOTE: `omit` must reach the container from the `default` node itself: what it holds is isolated instead
        copied["schema"] = _wrapped(_isolating_guard, node["schema"])
    elif kind in _CONTAINERS:
        chunked = kind in _CHUNKED and "min_length" not in node and "max_length" not in node
        return _wrapped(_chunked_guard(kind == "list") if chunked else _whole_guard, copied)
    elif (names := _forbidding(node)) is not None:
        return _wrapped(_extra_keys_guard(names), copied)
    return copied


def _forbidding(node: dict[str, Any]) -> frozenset[Any] | None:
    """The keys a model or TypedDict that forbids extra keys reads (every name and alias), else None."""
    kind = node.get("type")
    if kind == "model":
        fields = node.get("schema", {}).get("fields") if node.get("schema", {}).get("type") == "model-fields" else None
        forbids = node.get("config", {}).get("extra_fields_behavior") == "forbid"
    elif kind == "typed-dict":
        fields = node.get("fields")
        forbids = node.get("extra_behavior", node.get("config", {}).get("extra_fields_behavior")) == "forbid"
    else:
        return None
    if not forbids or not isinstance(fields, dict):
        return None
    names = set(fields)
    for field in fields.values():
        alias = field.get("validation_alias")
        choices = alias if isinstance(alias, list) else [alias]
        names.update(choice[0] if isinstance(choice, list) and choice else choice for choice in choices)
    names.discard(None)
    return frozenset(names)


def _passes_errors_on(node: dict[str, Any]) -> bool:
    """Whether a wrap validator is Pydantic's own for `Sequence[...]`, which raises every error it is handed."""
    function = node.get("function", {}).get("function")
    return (
        getattr(function, "__module__", None) == "pydantic._internal._validators"
        and getattr(function, "__name__", None) == "sequence_validator"
    )


def _wrapped(guard: Guard, schema: Any) -> Any:
    if "ref" not in schema:
        return core_schema.no_info_wrap_validator_function(guard, schema)
    # NOTE: a shared definition is found by the `ref` of its outermost node, which the guard now is
    inner = {key: value for key, value in schema.items() if key != "ref"}
    return core_schema.no_info_wrap_validator_function(guard, inner, ref=schema["ref"])


@contextmanager
def _schemas_read(schema: Any) -> Iterator[None]:
    """While building a validator of `schema`, its models are built from their (guarded) schemas.

    NOTE: pydantic-core builds a `model` node of a complete model class from the class's own, prebuilt validator
    (`__pydantic_complete__` in the class's `__dict__`), which would drop the guards inside it.
    """
    complete = [cls for cls in _model_classes(schema, set()) if cls.__dict__.get("__pydantic_complete__") is True]
    for cls in complete:
        setattr(cls, "__pydantic_complete__", False)  # noqa: B010 (any model class)
    try:
        yield
    finally:
        for cls in complete:
            setattr(cls, "__pydantic_complete__", True)  # noqa: B010 (any model class)


def _model_classes(node: Any, found: set[type]) -> set[type]:
    if isinstance(node, list):
        for item in node:
            _model_classes(item, found)
    elif isinstance(node, dict):
        if node.get("type") == "model":
            found.add(node["cls"])
        for key, value in node.items():
            if key not in _NOT_SCHEMAS:
                _model_classes(value, found)
    return found


def _unchecked(budget: _Budget) -> PydanticCustomError:
    budget.stopped = True
    return PydanticCustomError(UNCHECKED, "not validated: too many errors before it")


def _whole_guard(value: Any, handler: Handler) -> Any:
    budget = _BUDGET.get()
    if budget.isolated:
        return handler(value)
    if budget.count > MAX_ERRORS:
        raise _unchecked(budget)
    return _whole(value, handler, budget)


def _isolating_guard(value: Any, handler: Handler) -> Any:
    """A node that may throw errors away: validated natively, its guarded definitions (if any) passing through.

    Its errors are not counted here, since its parent may throw them away too; the nearest guard above counts them.
    """
    budget = _BUDGET.get()
    if not budget.isolated and budget.count > MAX_ERRORS:
        raise _unchecked(budget)
    before = budget.count
    budget.isolated += 1
    try:
        return handler(value)
    finally:
        budget.isolated -= 1
        budget.count = before


def _chunked_guard(is_list: bool) -> Guard:
    def guard(value: Any, handler: Handler) -> Any:
        budget = _BUDGET.get()
        if budget.isolated:
            return handler(value)
        if budget.count > MAX_ERRORS:
            raise _unchecked(budget)
        if len(value) > CHUNK and value.__class__ in (list, dict):
            return _in_chunks(value, handler, budget, is_list)
        return _whole(value, handler, budget)

    return guard


def _extra_keys_guard(names: frozenset[Any]) -> Guard:
    def guard(value: Any, handler: Handler) -> Any:
        budget = _BUDGET.get()
        if budget.isolated or value.__class__ is not dict or len(value) <= len(names) + MAX_ERRORS + 1:
            return handler(value)  # NOTE: counted by the guard above (an object's own errors are few)
        if budget.count > MAX_ERRORS:
            raise _unchecked(budget)
        kept: dict[Any, Any] = {}
        extra = 0
        for key, item in value.items():
            if key in names:
                kept[key] = item
            elif extra <= MAX_ERRORS:  # NOTE: in order: Pydantic lists extra keys in the order they came
                kept[key] = item
                extra += 1
        budget.stopped = True
        return _whole(kept, handler, budget)  # fails: MAX_ERRORS + 1 extra keys at least

    return guard


def _whole(value: Any, handler: Handler, budget: _Budget) -> Any:
    """The node validated in one call; the budget counts the errors it raised, and no others."""
    before = budget.count
    try:
        result = handler(value)
    except ValidationError as exc:
        budget.count = before + exc.error_count()
        raise
    budget.count = before  # NOTE: errors counted inside, then thrown away by a wrap validator, are not errors
    return result


def _in_chunks(value: list[Any] | dict[Any, Any], handler: Handler, budget: _Budget, is_list: bool) -> Any:
    """A large container, CHUNK items at a time until the errors are over the cap; then those errors."""
    before = budget.count
    is_array = isinstance(value, list)
    items: list[Any] = value if isinstance(value, list) else list(value.items())
    found: list[InitErrorDetails] = []
    parts: list[Any] = []
    for start in range(0, len(items), CHUNK):
        if budget.count > MAX_ERRORS:
            budget.stopped = True
            break
        part = items[start : start + CHUNK]
        at_start = budget.count
        try:
            parts.append(handler(part if is_array else dict(part)))
        except ValidationError as exc:
            budget.count = at_start + exc.error_count()
            found.extend(_shifted(exc, start if is_array else 0))
    if budget.count > MAX_ERRORS:
        raise ValidationError.from_exception_data("bounded", found)
    budget.count = before
    if not found and is_list:
        return [item for part in parts for item in part]  # PERF: a valid list is not validated twice
    return _whole(value, handler, budget)  # few errors (or a set, a dict): Pydantic's own, exact answer


def _shifted(exc: ValidationError, offset: int) -> list[InitErrorDetails]:
    """A chunk's errors, positioned in the whole container, in the form Pydantic raises them again."""
    rebuilt: list[InitErrorDetails] = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        if offset and loc and isinstance(loc[0], int):
            loc = (loc[0] + offset, *loc[1:])
        kind = error["type"]
        entry = InitErrorDetails(type=kind, loc=loc, input=error["input"])
        if kind not in _BUILTIN_TYPES:  # NOTE: an application's own error type keeps its message as written
            entry["type"] = PydanticCustomError(kind, error["msg"], error.get("ctx"))
        elif "ctx" in error:
            entry["ctx"] = error["ctx"]
        rebuilt.append(entry)
    return rebuilt

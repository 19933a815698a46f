"""Form and file bodies: parse (streaming, bounded), read each parameter's value, validate, close the files.

A form route's `FormPlan` (built by compile.py) lists plain fields, validated together in one call, and form
groups: a Pydantic model, or a union of models, whose fields are read one by one from the form (`Annotated[Profile,
Form()]`). Values are read as FastAPI reads them: an empty string or an empty file counts as missing, a list
field takes every value of its name, and a `bytes` file parameter gets the file's content.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import anyio
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import UploadFile

from vivace._core import extract
from vivace._core.errors import error_details, missing_error, reshape
from vivace._core.limits import FORM_LIMITS_KEY, FormLimits
from vivace._core.plan import RoutePlan
from vivace._core.resolve import Context
from vivace._core.threads import anyio_may_cancel
from vivace.exceptions import HTTPException

__all__ = ["FieldRead", "FormGroup", "FormPlan", "close_form", "normalize_branch", "validate_form"]

Result = tuple[dict[str, Any], list[dict[str, Any]]]

try:
    from vivace._core.form_parser import parse_form
except ModuleNotFoundError as missing:  # NOTE: python-multipart is optional (the `standard` extra), as in FastAPI
    if missing.name != "python_multipart":
        raise
    MULTIPART_MISSING: str | None = (
        'Form data requires "python-multipart" to be installed.\nInstall it with:\n\n    pip install python-multipart\n'
    )
else:
    MULTIPART_MISSING = None


def require_multipart() -> None:
    """Refuse a form route when it is declared, not on its first request, if python-multipart is missing."""
    if MULTIPART_MISSING is not None:
        raise RuntimeError(MULTIPART_MISSING)


Grouped = dict[str, list[Any]]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


# PERF: the form records are NamedTuples, not frozen dataclasses: ~3 M fewer instructions per class at import.
# They are plan data: immutable, and compared and shown (`vivace routes --plans`) as the dataclasses were.


class FieldRead(NamedTuple):
    """How one value is read from the form: under which names (first found wins), as a list, as bytes."""

    aliases: tuple[str, ...]
    is_sequence: bool = False
    wants_bytes: bool = False
    key: str = ""  # a plain field's value key: two parameters may read the same form field


class FormGroup(NamedTuple):
    """A parameter that is a model (or a union of models) filled from the form's fields."""

    key: str
    reads: tuple[FieldRead, ...]  # the model's fields; empty for a union (each branch reads its own)
    own_names: frozenset[str]  # every name a field of any member model answers to
    takes_extra: bool  # a member model has extra="allow" or "forbid": any form field counts as supplied
    optional: bool  # `Model | None`: absent when none of its fields was sent
    adapter: TypeAdapter[Any]
    required: bool
    default: Callable[[], Any]
    validate_default: bool = False  # `Form(validate_default=True)`: the default goes through `adapter` too


class FormPlan(NamedTuple):
    """How a form route turns the parsed form into validated values, and the limits its parse enforces."""

    fields: tuple[FieldRead, ...]  # plain Form()/File() parameters, validated under their value keys
    validate_fields: Callable[[dict[str, Any]], Result] | None
    groups: tuple[FormGroup, ...]
    order: tuple[str | int, ...]  # declaration order (a field's alias or a group's index), for FastAPI's error order
    keys: tuple[str, ...]
    limits: FormLimits


async def validate_form(plan: RoutePlan, ctx: Context) -> Result:
    form_plan: FormPlan = plan.form_extractor
    try:
        # NOTE: settings of an enclosing app or inclusion (through a mount) fill the keys the route left unset
        form_limits = form_plan.limits.under(ctx.scope.get(FORM_LIMITS_KEY))
        form = await parse_form(ctx.scope, ctx.receive, form_limits)
    except HTTPException:
        raise
    except Exception as exc:  # a client that disconnected mid-body, or a body the parser cannot read
        raise extract.body_parse_error() from exc
    # NOTE: `await request.form()` in the endpoint returns this same form, as in FastAPI; close_form closes it.
    ctx.request._form = form
    grouped = extract.group_pairs(form.multi_items())
    values: dict[str, Any] = {}
    field_errors: list[dict[str, Any]] = []
    if form_plan.validate_fields is not None:
        data = await _read_fields(grouped, form_plan.fields)
        found, field_errors = form_plan.validate_fields(data)
        values.update(found)
        _name_fields(field_errors, form_plan.fields, grouped)
    group_errors = [_validate_group(group, grouped, values) for group in form_plan.groups]
    if not field_errors and not any(group_errors):
        return values, []
    return values, _in_declaration_order(form_plan.order, field_errors, group_errors)


async def close_form(ctx: Context) -> None:
    """Close the uploaded files once the response (and its background tasks) is done, as FastAPI does."""
    form = ctx.request._form
    if form is None:
        return
    if not anyio_may_cancel():
        await form.close()
        return
    # NOTE: shielded: a middleware that cancels the request (a BaseHTTPMiddleware whose client went away) would
    # otherwise interrupt the close of a file rolled over to disk, leaving it open (FastAPI's stack is shielded too)
    with anyio.CancelScope(shield=True):
        await form.close()


def _is_empty_file(value: Any) -> bool:
    # NOTE: a browser sends an empty part with an empty filename for a file input left blank.
    return isinstance(value, UploadFile) and value.filename == "" and value.size == 0


def _pick(grouped: Grouped, read: FieldRead) -> tuple[str, Any]:
    """(name found, value) of one field, or (first name, MISSING)."""
    for alias in read.aliases:
        values = grouped.get(alias)
        if not values:
            continue
        if read.is_sequence:
            items = [item for item in values if not _is_empty_file(item)]
            if items:
                return alias, items
            continue
        value = values[-1]
        if not (isinstance(value, str) and value == "") and not _is_empty_file(value):
            return alias, value
    return read.aliases[0], MISSING


async def _file_bytes(value: Any) -> Any:
    if not isinstance(value, UploadFile):
        return value
    # NOTE: reading must not consume a file another parameter may also receive, so the position is restored.
    position = value.file.tell()
    try:
        return await value.read()
    finally:
        await value.seek(position)


async def _read_fields(grouped: Grouped, reads: tuple[FieldRead, ...]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for read in reads:
        _, value = _pick(grouped, read)
        if value is MISSING:
            continue
        if read.wants_bytes:
            value = [await _file_bytes(v) for v in value] if read.is_sequence else await _file_bytes(value)
        data[read.key] = value
    return data


def _name_fields(errors: list[dict[str, Any]], reads: tuple[FieldRead, ...], grouped: Grouped) -> None:
    """Errors of plain fields name the form field read (`["body", "the-note"]`), not the internal value key."""
    if not errors:
        return
    names = {read.key: _pick(grouped, read)[0] for read in reads}
    for error in errors:
        loc = error["loc"]
        if len(loc) > 1 and loc[1] in names:
            error["loc"] = (loc[0], names[loc[1]], *loc[2:])


def _read_model(grouped: Grouped, reads: tuple[FieldRead, ...]) -> dict[str, Any]:
    """A model's fields by the name found, then every other form field (the model's `extra` policy decides)."""
    data: dict[str, Any] = {}
    used: set[str] = set()
    for read in reads:
        for alias in read.aliases:
            used.add(alias)
            _, value = _pick(grouped, FieldRead((alias,), read.is_sequence))
            if value is not MISSING:
                data[alias] = value
                break  # NOTE: names after the one found stay extras, as in FastAPI
    for name, values in grouped.items():
        if name not in used:
            data[name] = values[0] if len(values) == 1 else values
    return data


def normalize_branch(value: Any, reads: tuple[FieldRead, ...]) -> Any:
    """Before-validator of one member of a union form group: read that member's fields from the raw form."""
    if not isinstance(value, dict):
        return value
    grouped = {name: item if isinstance(item, list) else [item] for name, item in value.items()}
    data = _read_model(grouped, reads)
    for name, item in value.items():
        if item is None or item == []:
            data[name] = item
    return data


def _group_input(group: FormGroup, grouped: Grouped) -> Any:
    if group.optional and not (group.own_names.intersection(grouped) or (group.takes_extra and grouped)):
        return MISSING
    return _read_model(grouped, group.reads)


def _validate_group(group: FormGroup, grouped: Grouped, values: dict[str, Any]) -> list[dict[str, Any]]:
    data = _group_input(group, grouped)
    if data is MISSING:
        if group.required:
            return [missing_error(("body",))]
        if not group.validate_default:
            values[group.key] = group.default()
            return []
        data = group.default()
    try:
        values[group.key] = group.adapter.validate_python(data, from_attributes=True)
    except ValidationError as exc:
        return reshape(error_details(exc), ("body",), top_missing_input_none=False)
    return []


def _in_declaration_order(
    order: tuple[str | int, ...], field_errors: list[dict[str, Any]], group_errors: list[list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """FastAPI validates parameters one by one, so its errors follow the declaration order."""
    by_alias: dict[Any, list[dict[str, Any]]] = {}
    for error in field_errors:
        by_alias.setdefault(error["loc"][1] if len(error["loc"]) > 1 else None, []).append(error)
    ordered: list[dict[str, Any]] = []
    for slot in order:
        ordered.extend(group_errors[slot] if isinstance(slot, int) else by_alias.pop(slot, []))
    for rest in by_alias.values():
        ordered.extend(rest)
    return ordered

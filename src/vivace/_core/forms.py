"""Form and file bodies: parsed with python-multipart, then validated in one call per group."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from vivace._core import extract
from vivace._core.errors import reshape
from vivace._core.plan import RoutePlan
from vivace._core.resolve import Context
from vivace.exceptions import HTTPException

__all__ = ["validate_form"]

Result = tuple[dict[str, Any], list[dict[str, Any]]]
_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(model: type[Any]) -> TypeAdapter[Any]:
    adapter = _adapters.get(model)
    if adapter is None:
        adapter = _adapters[model] = TypeAdapter(model)
    return adapter


async def validate_form(plan: RoutePlan, ctx: Context) -> Result:
    form_plan = plan.form_extractor
    request = ctx.request
    try:
        form = await request.form()
    except HTTPException:
        raise
    except Exception as exc:
        raise extract.body_parse_error() from exc
    # NOTE: uploaded files are closed when the request ends, like FastAPI's file stack.
    if ctx.request_stack is not None:
        ctx.request_stack.push_async_callback(form.close)
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    if form_plan.validate_fields is not None:
        data = await extract.form_values(form, form_plan.field_reads)
        found, bad = form_plan.validate_fields(data)
        values.update(found)
        errors.extend(bad)
    for key, model, reads in form_plan.groups:
        data = await extract.form_values(form, reads)
        try:
            values[key] = _adapter(model).validate_python(data)
        except ValidationError as exc:
            errors.extend(reshape(exc.errors(include_url=False), ("body",), top_missing_input_none=False))
    return values, errors

"""Pydantic errors reshaped into FastAPI's exact 422 entries."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic_core import ErrorDetails

__all__ = ["json_decode_error", "missing_error", "reshape"]


def reshape(
    errors: Iterable[ErrorDetails], prefix: tuple[str | int, ...], *, top_missing_input_none: bool = True
) -> list[dict[str, Any]]:
    """Prefix each `loc` with the request location; a missing top-level value reports `input: None`.

    NOTE: FastAPI validates each parameter on its own and reports a missing one with `input: None`; vivace
    validates a whole location at once, where Pydantic would report the location's dict as the input.
    """
    shaped: list[dict[str, Any]] = []
    for error in errors:
        loc = error["loc"]
        entry: dict[str, Any] = {
            "type": error["type"], "loc": (*prefix, *loc), "msg": error["msg"], "input": error["input"]
        }
        if "ctx" in error:
            entry["ctx"] = error["ctx"]
        if top_missing_input_none and error["type"] == "missing" and len(loc) == 1:
            entry["input"] = None
        shaped.append(entry)
    return shaped


def missing_error(loc: tuple[str | int, ...]) -> dict[str, Any]:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def json_decode_error(exc: json.JSONDecodeError) -> dict[str, Any]:
    """The entry FastAPI reports for a body that is not valid JSON (position and message from `json`)."""
    return {
        "type": "json_invalid",
        "loc": ("body", exc.pos),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": exc.msg},
    }

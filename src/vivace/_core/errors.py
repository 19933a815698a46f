"""Pydantic errors reshaped into FastAPI's exact 422 entries."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from pydantic_core import ErrorDetails

__all__ = ["json_decode_error", "missing_error", "reshape", "unpaired_surrogate"]


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


# A `\\uD800`-`\\uDFFF` escape that starts an escape sequence (an even run of backslashes before it), with the
# escape after it when there is one.
_SURROGATE_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u([dD][89a-fA-F])[0-9a-fA-F]{2}(\\u[dD][c-fC-F][0-9a-fA-F]{2})?")


def unpaired_surrogate(body: bytes) -> dict[str, Any] | None:
    """The decode error for a JSON text whose string escapes name half a UTF-16 surrogate pair, else None.

    NOTE: JSON parsers accept such escapes (RFC 8259 leaves them undefined), but the string they make is not
    Unicode: it cannot be encoded as UTF-8, so any answer echoing it (a 422, or the endpoint's own) would fail.
    """
    # PERF: two substring scans (memchr speed); the expression runs only on bodies with a surrogate escape.
    if b"\\ud" not in body and b"\\uD" not in body:
        return None
    for match in _SURROGATE_ESCAPE.finditer(body):
        is_paired_high = match.group(1)[1:] in b"89abAB" and match.group(2) is not None
        if not is_paired_high:
            position = match.start(1) - 2
            return {
                "type": "json_invalid",
                "loc": ("body", position),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": "Unpaired UTF-16 surrogate in string escape"},
            }
    return None

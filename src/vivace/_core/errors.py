"""Pydantic errors reshaped into FastAPI's exact 422 entries, with the echo of the client's input bounded.

A 422 entry echoes the value it rejects. FastAPI lists every error with its whole input, so a body of a hundred
thousand bad items answers about thirty times its size, and building the list costs seconds of CPU. vivace keeps
FastAPI's exact entries below two bounds, per request location (path, query, headers, cookies, body):

- at most `MAX_ERRORS` entries; past them, one last entry of type `too_many_errors` says how many were left out
  (or, for a large body whose validation stopped at the cap (see `bounded.py`), that the rest was not checked);
- at most `ECHO_BUDGET` characters of echoed input: an input that does not fit in what is left is replaced,
  a string by its first `KEPT_PREFIX` characters followed by `TRUNCATED`, anything else by `NOT_ECHOED`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

__all__ = [
    "ECHO_BUDGET",
    "MAX_ERRORS",
    "NOT_ECHOED",
    "TRUNCATED",
    "UNCHECKED",
    "error_details",
    "json_decode_error",
    "missing_error",
    "reshape",
    "unpaired_surrogate",
]

#: entries listed per request location; FastAPI's exact list below it
MAX_ERRORS = 1000
#: characters of echoed input (strings, keys and numbers as written, about 2 per container) per location
ECHO_BUDGET = 64 * 1024
#: characters of a long string kept before the marker
KEPT_PREFIX = 100
#: what follows the kept start of a string input too long to echo
TRUNCATED = "…[truncated]"
#: what replaces a container (or other value) too large to echo
NOT_ECHOED = "[input too large to echo]"
#: the error type of a part of a large body left unvalidated once the cap was reached: never listed
UNCHECKED = "vivace_unchecked"


class _Clipped(list[ErrorDetails]):
    """The first MAX_ERRORS errors of a ValidationError, and how many more it had (or that more went unchecked)."""

    omitted = 0
    stopped = False


def error_details(exc: ValidationError, *, stopped: bool = False) -> list[ErrorDetails]:
    """`exc.errors(include_url=False)`, but at most MAX_ERRORS of them (with the count of the rest).

    PERF: `errors()` builds one dict per error, ~8 µs each (70 s for the 4 million errors a 16 MiB body of bad
    list items gives); past the bound the first entries are read from Pydantic's own JSON rendering (~1 µs per
    error) instead. Entries read that way carry JSON-compatible inputs, which is all a 422 echoes anyway.
    `stopped`: validation stopped at the cap, leaving parts of the input unchecked (and UNCHECKED entries).
    """
    if stopped:
        return _stopped(exc)
    count = exc.error_count()
    if count <= MAX_ERRORS:
        return exc.errors(include_url=False)
    try:
        first = _first_json_entries(exc.json(include_url=False), MAX_ERRORS)
    except ValueError:  # NOTE: an input Pydantic cannot render as JSON (an object from a form): the slow way
        first = exc.errors(include_url=False)[:MAX_ERRORS]
    clipped = _Clipped(first)
    clipped.omitted = count - len(clipped)
    return clipped


def _stopped(exc: ValidationError) -> _Clipped:
    clipped = _Clipped(error for error in exc.errors(include_url=False) if error["type"] != UNCHECKED)
    clipped.stopped = True
    return clipped


def _first_json_entries(text: str, wanted: int) -> list[Any]:
    """The first `wanted` objects of a compact JSON array of objects, without decoding the rest."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    position = 1  # after the opening bracket
    while len(found) < wanted:
        entry, position = decoder.raw_decode(text, position)
        entry["loc"] = tuple(entry["loc"])
        found.append(entry)
        position += 1  # the comma
    return found


def reshape(
    errors: Iterable[ErrorDetails], prefix: tuple[str | int, ...], *, top_missing_input_none: bool = True
) -> list[dict[str, Any]]:
    """Prefix each `loc` with the request location; a missing top-level value reports `input: None`.

    NOTE: FastAPI validates each parameter on its own and reports a missing one with `input: None`; vivace
    validates a whole location at once, where Pydantic would report the location's dict as the input.
    """
    shaped: list[dict[str, Any]] = []
    echo = _Echo()
    for error in errors:
        loc = error["loc"]
        if len(shaped) == MAX_ERRORS:
            break
        entry: dict[str, Any] = {
            "type": error["type"],
            "loc": (*prefix, *loc),
            "msg": error["msg"],
            "input": echo(error["input"]),
        }
        if "ctx" in error:
            entry["ctx"] = error["ctx"]
        if top_missing_input_none and error["type"] == "missing" and len(loc) == 1:
            entry["input"] = None
        shaped.append(entry)
    omitted = getattr(errors, "omitted", 0) + (len(errors) - len(shaped) if isinstance(errors, list) else 0)
    if omitted or getattr(errors, "stopped", False):
        shaped.append(_too_many(prefix, omitted if not getattr(errors, "stopped", False) else None))
    return shaped


def _too_many(prefix: tuple[str | int, ...], omitted: int | None) -> dict[str, Any]:
    counted = "more errors not listed" if omitted is None else f"{omitted} more errors not listed"
    msg = f"{counted} (at most {MAX_ERRORS} are)"
    if omitted is None:
        msg += ": validation stopped there, the rest of the input was not checked"
    return {"type": "too_many_errors", "loc": prefix, "msg": msg, "input": None}


#: inputs a few characters long in JSON, echoed without being measured
_SHORT = frozenset({bool, float})


class _Echo:
    """Inputs as they are while they fit in the location's ECHO_BUDGET, shortened with a marker past it.

    Sizes are estimated by a walk that stops as soon as the input is over what is left, and the walks of one
    location visit at most 2 * ECHO_BUDGET values in all: a thousand huge inputs cost no more than one.
    """

    __slots__ = ("left", "work")

    def __init__(self) -> None:
        self.left = ECHO_BUDGET
        self.work = 2 * ECHO_BUDGET

    def __call__(self, value: Any) -> Any:
        if value is None or value.__class__ in _SHORT:
            return value  # PERF: the common echoes skip the walk
        size = self._size(value, self.left)
        if size <= self.left:
            self.left -= size
            return value
        if isinstance(value, str):
            kept = value[: min(KEPT_PREFIX, self.left)]
            self.left -= len(kept)
            return kept + TRUNCATED
        return NOT_ECHOED

    def _size(self, value: Any, limit: int) -> int:
        """The input's size in characters, or any number over `limit` once it is known to be over."""
        self.work -= 1
        if self.work < 0:
            return limit + 1
        if isinstance(value, str | bytes):
            return len(value) + 2
        if isinstance(value, bool) or value is None:
            return 5
        if isinstance(value, int):
            return value.bit_length() // 3 + 2  # NOTE: digits, without str() (refused past 4300 digits)
        if isinstance(value, dict):
            items: Iterable[Any] = (part for pair in value.items() for part in pair)
        elif isinstance(value, list | tuple | set | frozenset):
            items = value
        else:
            return 24  # a float, a date, a model: short in JSON
        total = 2
        for item in items:
            total += self._size(item, limit - total) + 1
            if total > limit:
                break
        return total


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

"""Error bodies that are valid JSON whatever input they echo.

A 422 echoes the rejected input, and Python's JSON parser accepts values that JSON cannot carry back out:
`NaN`, `Infinity` and numbers too large for a float (`1e400` becomes infinity). Written as they are, the answer
would be invalid JSON; Starlette's writer refuses them, which turned a client's mistake into a 500.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["ErrorJSONResponse", "json_safe"]

_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def json_safe(value: Any, *, non_finite_as_text: bool = True) -> Any:
    """`value` with unencodable text repaired and non-finite floats as text (`"Infinity"`, `"NaN"`) or `None`.

    `None` is what Pydantic writes for them in a response model, so plain results use it too; an echoed input
    keeps the information as text.
    """

    def repair(item: Any) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            return _NON_FINITE.get(item, "NaN") if non_finite_as_text else None
        if isinstance(item, str):
            # NOTE: a lone surrogate (half a UTF-16 pair) cannot be written as UTF-8; it becomes U+FFFD.
            return item.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        if isinstance(item, dict):
            return {repair(key): repair(nested) for key, nested in item.items()}
        if isinstance(item, list | tuple):
            return [repair(nested) for nested in item]
        return item

    return repair(value)


class ErrorJSONResponse(JSONResponse):
    """A `JSONResponse` that falls back to `json_safe` content when the content cannot be written as JSON."""

    def render(self, content: Any) -> bytes:
        # PERF: the repair walks the content only when writing it as it is failed.
        try:
            return super().render(content)
        except (ValueError, UnicodeEncodeError):
            return super().render(json_safe(content))

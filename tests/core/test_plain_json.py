"""Plain data without a response model: written by orjson when it holds no float, else by json, always with the
bytes of Starlette's JSONResponse (what FastAPI sends for the same value after jsonable_encoder)."""

from __future__ import annotations

import datetime
import sys
from typing import Any

import pytest
from starlette.responses import JSONResponse

from vivace._core.serialize import encode_plain
from vivace.encoders import jsonable_encoder


def starlette_bytes(content: Any) -> bytes:
    return bytes(JSONResponse(jsonable_encoder(content)).body)


@pytest.mark.parametrize(
    "content",
    [
        {"message": "Hello World"},
        {"item_id": 3, "q": None, "limit": 10, "ok": True, "off": False},
        [1, [2, [3, {"deep": ["x", None]}]]],
        {"big": 2**63 - 1, "bigger": 2**64 - 1, "negative": -(2**63), "huge": 10**30, "below": -(2**63) - 1},
        {"price": 1.5, "tiny": 1e-7, "large": 1e16, "whole": 3.0, "tags": ["a"]},
        [[1.0], {"n": 0.1 + 0.2}],
        {"when": datetime.date(2024, 5, 1), "n": 1},
        {"quote": "\"'\\/", "controls": "\x00\x01\x08\x0c\n\r\t\x1f\x7f", "lines": "\u2028\u2029"},
        {},
        [],
        "just a string",
        12,
        None,
        {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": 1}}}}}}}}}},
        {1: "an int key", "b": None},
        {"b": 1, 2: "an int key after a str key"},
        {"nested": {"x": 1.5}, "pair": (1, "two"), "when": datetime.time(1, 2)},
    ],
    ids=repr,
)
def test_plain_values_are_written_as_starlette_writes_them(content: Any) -> None:
    """Strings, ints of any size, nesting, floats and values needing jsonable_encoder: Starlette's bytes."""
    assert encode_plain(content) == starlette_bytes(content)


def test_every_code_point_is_escaped_as_json_escapes_it() -> None:
    """Keys and values holding every code point outside the surrogates give json's bytes."""
    points = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    content = {"".join(points[i : i + 32]): "".join(points[i + 32 : i + 64]) for i in range(0, len(points), 64)}
    assert encode_plain(content) == starlette_bytes(content)


def test_a_lone_surrogate_fails_as_in_starlette() -> None:
    """A string that is not valid Unicode fails the way Starlette's rendering fails (the app answers 500)."""
    with pytest.raises(UnicodeEncodeError):
        starlette_bytes({"bad": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        encode_plain({"bad": "\ud800"})

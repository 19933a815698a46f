"""The one-pass form parsers read bodies exactly as the streaming parse does, limits and errors included."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vivace._core.form_parser import _split_urlencoded, _UrlencodedReader
from vivace._core.limits import FormLimits, form_limits
from vivace.exceptions import HTTPException

SMALL = form_limits(None, {"max_fields": 3, "max_part_size": 8})


def _outcome(run: Any) -> Any:
    try:
        return ("ok", list(run()))
    except HTTPException as exc:
        return ("error", exc.status_code, exc.detail)


def _streamed(body: bytes, limits: FormLimits) -> Any:
    """The streaming parser's reading of `body`, sent one byte per message."""
    messages = [{"type": "http.request", "body": body[i : i + 1], "more_body": True} for i in range(len(body))]
    messages.append({"type": "http.request", "body": b"", "more_body": False})

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def read() -> Any:
        return (await _UrlencodedReader(limits)._stream({"headers": []}, receive)).multi_items()

    return _outcome(lambda: asyncio.run(read()))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40) | st.text("ab=&;%+2Fé ", max_size=40).map(lambda text: text.encode()))
def test_one_pass_urlencoded_matches_streaming(body: bytes) -> None:
    """Separators, empty fields, escapes, bad escapes and both limits come out as the streaming parse gives them."""
    for limits in (SMALL, form_limits(None, None)):
        assert _outcome(functools.partial(_split_urlencoded, body, limits)) == _streamed(body, limits)


def test_one_pass_urlencoded_known_readings() -> None:
    """A name without '=' has an empty value, '+' is a space, a bad escape stays, only '&' separates."""
    items = _split_urlencoded(b"a&&b=1+2%21&c=%zz&d=x;y", form_limits(None, None))
    assert items == [("a", ""), ("b", "1 2!"), ("c", "%zz"), ("d", "x;y")]

"""The one-pass form parsers read bodies exactly as the streaming parse does, limits and errors included."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vivace._core.form_parser import _MultipartReader, _split_urlencoded, _UrlencodedReader
from vivace._core.limits import SPOOL_SIZE, FormLimits, form_limits
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


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "b0undary") -> bytes:
    out = []
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(out) + f"--{boundary}--\r\n".encode()


def _read_multipart(body: bytes, chunk: int) -> list[Any]:
    """What the multipart reader makes of `body` sent in `chunk`-byte messages: names, texts, file contents."""
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    messages = [{"type": "http.request", "body": piece, "more_body": True} for piece in pieces]
    messages.append({"type": "http.request", "body": b"", "more_body": False})

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def read() -> list[Any]:
        form = await _MultipartReader({b"boundary": b"b0undary"}, form_limits(None, None)).read(
            {"headers": []}, receive
        )
        seen: list[Any] = []
        for name, value in form.multi_items():
            if isinstance(value, str):
                seen.append((name, value))
            else:
                rolled = bool(getattr(value.file, "_rolled", False))
                seen.append((name, value.filename, value.size, await value.read(), rolled))
        await form.close()
        return seen

    return asyncio.run(read())


def test_files_read_the_same_whatever_the_chunking() -> None:
    """File bytes held until their part ends come out whole, in memory up to SPOOL_SIZE and on disk past it."""
    tricky = b"\r\n--b0undar\r\n-" * 50
    big = bytes(range(256)) * (SPOOL_SIZE // 256) + b"tail"
    body = _multipart([("a", None, b"text"), ("f", "f.bin", tricky), ("g", "big.bin", big), ("h", "e", b"")])
    expected = [
        ("a", "text"),
        ("f", "f.bin", len(tricky), tricky, False),
        ("g", "big.bin", len(big), big, True),
        ("h", "e", 0, b"", False),
    ]
    for chunk in (len(body), 65536, 4099, 1021):
        assert _read_multipart(body, chunk) == expected, chunk


def test_file_of_exactly_spool_size_stays_in_memory() -> None:
    """SPOOL_SIZE bytes fit the spool (as with one write per chunk); a byte more moves it to disk."""
    for size, rolled in ((SPOOL_SIZE, False), (SPOOL_SIZE + 1, True)):
        body = _multipart([("f", "f", b"x" * size)])
        assert _read_multipart(body, 65536)[0][-1] is rolled

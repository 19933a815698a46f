"""The `content-length` header lines shared between responses: right for every length, and bounded in number."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vivace import Vivace
from vivace._core import send as send_module
from vivace._core.runner import RESPONSE_STARTED
from vivace._core.send import LENGTH_HEADERS


@pytest.mark.parametrize("length", [0, 1, 25, 1023, 1024, 65536, 10**7])
def test_header_line_holds_the_length(length: int) -> None:
    """Any body length gets its decimal `content-length` line, whether it is kept or not."""
    assert LENGTH_HEADERS[length] == (b"content-length", str(length).encode())


def test_only_a_bounded_number_of_lengths_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the bound, new lengths are answered without being kept (memory stays bounded)."""
    monkeypatch.setattr(send_module, "_KEPT_LENGTHS", len(LENGTH_HEADERS) + 2)
    fresh = [n for n in range(10**6, 10**6 + 50) if n not in LENGTH_HEADERS][:5]
    for n in fresh:
        assert LENGTH_HEADERS[n] == (b"content-length", str(n).encode())
    assert [n in LENGTH_HEADERS for n in fresh] == [True, True, False, False, False]
    for n in fresh[:2]:
        del LENGTH_HEADERS[n]


def test_a_failing_send_after_the_start_is_not_answered_again() -> None:
    """When the server's send fails on the body, the error goes out and no second response is started."""
    app = Vivace()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"message": "Hello World"}

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            raise OSError("connection lost")

    def scope() -> dict[str, Any]:
        return {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": "/hello", "raw_path": b"/hello", "root_path": "", "query_string": b"", "headers": [],
            "server": ("test", 80), "client": ("test", 1),
        }

    for _ in range(2):  # the first request builds the stack; the second takes the application's direct path
        sent.clear()
        served = scope()
        with pytest.raises(OSError, match="connection lost"):
            asyncio.run(app(served, receive, send))
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
        assert sent[0]["headers"][0] == (b"content-length", b"25")
        assert served[RESPONSE_STARTED] is True

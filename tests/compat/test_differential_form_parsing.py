"""Hostile and unusual form bodies (urlencoded and multipart) answered byte for byte as FastAPI 0.165 does."""

from typing import Any

import pytest

BOUNDARY = "xyzzy"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
URLENCODED = {"content-type": "application/x-www-form-urlencoded"}


def build(fw: Any) -> Any:
    app = fw.FastAPI(form_limits={"max_fields": 3, "max_files": 2, "max_part_size": 16})

    @app.post("/echo")
    async def echo(request: fw.Request) -> Any:
        items: list[Any] = []
        async with request.form() as form:  # NOTE: closes the spooled files, which the endpoint owns here
            for name, value in form.multi_items():
                if isinstance(value, str):
                    items.append([name, value])
                else:
                    content = await value.read()
                    items.append([name, value.filename, value.content_type, value.size, content.decode("latin-1")])
        return items

    return app


def _part(name: str, data: bytes, *, filename: str | None = None, extra: bytes = b"") -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    return f"--{BOUNDARY}\r\n{disposition}\r\n".encode() + extra + b"\r\n" + data + b"\r\n"


_END = f"--{BOUNDARY}--\r\n".encode()


def _urlencoded(body: bytes) -> tuple[str, dict[str, Any]]:
    return ("POST /echo", {"content": body, "headers": URLENCODED})


def _multipart(body: bytes) -> tuple[str, dict[str, Any]]:
    return ("POST /echo", {"content": body, "headers": MULTIPART})


REQUESTS = [
    _urlencoded(b"a=1&&b=2+3&c"),
    _urlencoded(b"a=%zz&%C3%A9=%e9&d=x;y"),
    _urlencoded(b"a=\xff\xfe&=&="),
    _urlencoded(b"a=1&b=2&c=3&d=4"),
    _urlencoded(b"a=0123456789abcdefg"),
    _urlencoded(b"a=0123456789abcdef&b=1"),
    _urlencoded(b""),
    _multipart(_part("a", b"one") + _part("f", b"\r\n--xyzz\r\n-", filename="f.bin") + _END),
    _multipart(_part("f", b"", filename="") + _END),
    _multipart(_part("f", b"x" * 5000, filename="big", extra=b"Content-Type: text/plain\r\n") + _END),
    _multipart(_part("a", b"0123456789abcdefg") + _END),
    _multipart(_part("a", b"1") + _part("b", b"2") + _part("c", b"3") + _part("d", b"4") + _END),
    _multipart(b"".join(_part("f", b"x", filename=f"{n}") for n in range(3)) + _END),
    _multipart(b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: form-data\r\n\r\nx\r\n" + _END),
    _multipart(b"garbage before\r\n" + _part("a", b"1") + _END),
    _multipart(_part("a", b"caf\xc3\xa9") + _END + b"epilogue"),
    _multipart(b""),
]


@pytest.mark.parametrize("req", REQUESTS, ids=[f"body{n}" for n in range(len(REQUESTS))])
def test_form_bodies_like_fastapi(same: Any, req: Any) -> None:
    """Separators, escapes, limits, empty and odd parts come out as FastAPI reads them."""
    same(build, req)

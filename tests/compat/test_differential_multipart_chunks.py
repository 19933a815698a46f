"""Multipart bodies sent in chunks cut anywhere: vivace's own parser answers as FastAPI 0.165 (python-multipart)."""

import asyncio
import itertools
from typing import Annotated, Any

import fastapi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vivace

BOUNDARY = b"Xq7-boundary"
CONTENT_TYPE = b"multipart/form-data; boundary=" + BOUNDARY
OPEN = b"--" + BOUNDARY
CLOSE = OPEN + b"--\r\n"


def build(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.post("/parts")
    async def parts(
        a: Annotated[list[str], fw.Form()] = [],  # noqa: B006  # FastAPI copies defaults; this is its usual spelling
        f: Annotated[list[fw.UploadFile], fw.File()] = [],  # noqa: B006
    ) -> Any:
        files = [[upload.filename, upload.headers.items(), (await upload.read()).decode("latin-1")] for upload in f]
        return {"a": a, "f": files}

    return app


APPS = {"vivace": build(vivace), "fastapi": build(fastapi)}


def _post(app: Any, body: bytes, cuts: list[int]) -> tuple[int, bytes]:
    """POST `body` to /parts through ASGI, in messages cut at `cuts`; the answer's status and body."""
    edges = [0, *sorted({cut % (len(body) + 1) for cut in cuts}), len(body)]
    pieces = [body[start:stop] for start, stop in itertools.pairwise(edges) if stop > start] or [b""]
    messages = [{"type": "http.request", "body": piece, "more_body": True} for piece in pieces]
    messages[-1]["more_body"] = False
    sent: list[Any] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/parts",
        "raw_path": b"/parts",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), (b"content-type", CONTENT_TYPE)],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }

    async def run() -> None:
        never: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def receive() -> Any:
            return messages.pop(0) if messages else await never

        async def send(message: Any) -> None:
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(run())
    return sent[0]["status"], b"".join(message.get("body", b"") for message in sent[1:])


def _part(disposition: bytes, data: bytes, *extra: bytes) -> bytes:
    head = b"\r\n".join([b"Content-Disposition: form-data; " + disposition, *extra])
    return OPEN + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n"


def _same(body: bytes, cuts: list[int]) -> tuple[int, bytes]:
    ours, theirs = (_post(APPS[name], body, cuts) for name in ("vivace", "fastapi"))
    assert ours == theirs
    return ours


VALID = {
    "fields and files": _part(b'name="a"', b"one")
    + _part(b'name="f"; filename="x.bin"', b"\x00\r\n--Xq7-boundar\r\n-", b"Content-Type: application/x-thing")
    + _part(b'name="a"', b"two")
    + _part(b'name="f"; filename="y.txt"', b"second file")
    + CLOSE,
    "empty file and empty field": _part(b'name="f"; filename="empty.txt"', b"") + _part(b'name="a"', b"") + CLOSE,
    "unicode names": _part('name="f"; filename="café €.txt"'.encode(), "é".encode())
    + _part(b'name="a"', "ünïcode".encode())
    + CLOSE,
    "quoted escapes": _part(b'name="f"; filename="C:\\\\dir\\\\q\\"uote.txt"', b"data") + CLOSE,
    # NOTE: python-multipart does not decode RFC 5987 `filename*`: such a part is a text field on both
    "filename star": _part(b"name=\"a\"; filename*=UTF-8''%C3%A9.txt", b"data") + CLOSE,
    "unquoted options": _part(b"name=f; filename=plain.txt", b"data") + CLOSE,
    "preamble and epilogue": b"\r\n\r\n" + _part(b'name="a"', b"1") + CLOSE + b"epilogue\r\n" + OPEN + b"\r\n",
    "delimiter lookalikes": _part(b'name="a"', b"x\r\n" + OPEN + b"X\r\n" + OPEN + b"-y\r\n--" + BOUNDARY[:5]) + CLOSE,
    "many headers": _part(b'name="f"; filename="h"', b"d", *(b"X-%d: %d" % (n, n) for n in range(7))) + CLOSE,
    "no final CRLF": _part(b'name="a"', b"1") + OPEN + b"--",
}
HOSTILE = {
    "wrong boundary": b"--other\r\n" + _part(b'name="a"', b"1")[len(OPEN) + 2 :] + b"--other--\r\n",
    "text before the boundary": b"junk" + _part(b'name="a"', b"1") + CLOSE,
    "LF line ends": _part(b'name="a"', b"1").replace(b"\r\n", b"\n") + CLOSE,
    "header without colon": _part(b'name="a"', b"1", b"nocolon") + CLOSE,
    "nine headers": _part(b'name="a"', b"1", *(b"X-%d: v" % n for n in range(8))) + CLOSE,
    "huge header": _part(b'name="a"', b"1", b"X-Big: " + b"v" * 100_000) + CLOSE,
    "no name": OPEN + b"\r\nContent-Disposition: form-data\r\n\r\nx\r\n" + CLOSE,
}
TRUNCATED = {
    "cut in a part": _part(b'name="f"; filename="x"', b"partial data")[:-2],
    "no closing delimiter": _part(b'name="f"; filename="x"', b"all the data"),
    "cut in the headers": OPEN + b"\r\nContent-Disposition: form-da",
    "cut after a delimiter dash": _part(b'name="a"', b"1") + OPEN + b"-",
}


@pytest.mark.parametrize("body", VALID.values(), ids=VALID.keys())
def test_valid_bodies_read_like_fastapi(body: bytes) -> None:
    """Fields, several files, empty ones, unicode and escaped names, in one chunk and cut at every few bytes."""
    assert _same(body, [])[0] == 200
    _same(body, list(range(0, len(body), 7)))


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_bodies_answer_like_fastapi(body: bytes) -> None:
    """A malformed body is a 400 (or the same 422) on both, never a 500, whatever the chunking."""
    status, _ = _same(body, [])
    assert status in (400, 422)
    _same(body, list(range(0, len(body), 5)))


@pytest.mark.parametrize("body", TRUNCATED.values(), ids=TRUNCATED.keys())
def test_a_cut_off_body_is_refused_whole(body: bytes) -> None:
    """vivace answers 400 rather than hand the parts before the cut to the endpoint (FastAPI does: a difference)."""
    for cuts in ([], [3, 11, len(body) - 1]):
        assert _post(APPS["vivace"], body, cuts) == (
            400,
            b'{"detail":"Multipart body ended before its closing boundary."}',
        )


NAMES = st.text(st.characters(codec="utf-8", exclude_characters='"\\\r\n'), max_size=6)
PARTS = st.lists(
    st.tuples(st.booleans(), NAMES, st.binary(max_size=60) | st.sampled_from([b"\r\n" + OPEN + b"-", b"\r\n--"])),
    min_size=1,
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(PARTS, st.lists(st.integers(min_value=0), max_size=6))
def test_any_chunking_reads_like_fastapi(parts: list[tuple[bool, str, bytes]], cuts: list[int]) -> None:
    """Random fields and files cut into random messages: the same answer as FastAPI's."""
    body = b"".join(
        _part(b'name="f"; filename="' + name.encode() + b'"', data) if is_file else _part(b'name="a"', data)
        for is_file, name, data in parts
    )
    assert _same(body + CLOSE, cuts)[0] in (200, 422)

"""Badly framed bodies of every format, sent over raw sockets to a real uvicorn: each gets a 400 or 422 with a
JSON body, the endpoint is never called with part of the data, the server keeps answering, and memory stays
bounded.

The answers match FastAPI's (the same messages), with one deliberate difference: a multipart body that ends
before its closing boundary is refused (400) instead of handing the parts received so far to the endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from process_support import ServerProcess
from reliability_support import app_source, recorded, served_by_both
from wire import STATS_ROUTE, Connection, get, healthy

APP = (
    app_source(
        """
        from typing import Annotated, Any

        from pydantic import BaseModel

        from fastapi import Body, FastAPI, Form, UploadFile
        """,
        """
        class Item(BaseModel):
            name: str
            tags: list[str] = []

        @app.post("/json")
        async def json_body(item: Item):
            calls.append(["json", item.name])
            return item

        @app.post("/any")
        async def any_body(data: Any = Body()):
            calls.append(["any", repr(data)[:50]])
            return {"ok": True}

        @app.post("/form")
        async def form(a: Annotated[str, Form()], b: Annotated[str, Form()]):
            calls.append(["form", a, b])
            return {"a": a, "b": b}

        @app.post("/number")
        async def number(n: Annotated[int, Form()]):
            calls.append(["number", n])
            return {"n": n}

        @app.post("/upload")
        async def upload(file: UploadFile, note: Annotated[str, Form()]):
            data = await file.read()
            calls.append(["upload", len(data), note])
            return {"size": len(data), "note": note}
        """,
        log="calls",
    )
    + STATS_ROUTE
)

B = "vivaceBoundary"
MULTIPART = f"multipart/form-data; boundary={B}"
URLENCODED = "application/x-www-form-urlencoded"
JSON = "application/json"


def part(name: str, value: str, headers: str = "") -> str:
    return f'--{B}\r\nContent-Disposition: form-data; name="{name}"\r\n{headers}\r\n{value}\r\n'


def file_part(name: str, data: str) -> str:
    return f'--{B}\r\nContent-Disposition: form-data; name="{name}"; filename="f.txt"\r\n\r\n{data}\r\n'


CLOSE = f"--{B}--\r\n"
GOOD_FORM = part("a", "1") + part("b", "2") + CLOSE


@dataclass
class Case:
    """A body sent to `path` and the answer expected: the status and the JSON body (or its `detail` text)."""

    path: str
    content_type: str | None
    body: bytes
    status: int
    detail: Any = None

    def check(self, status: int, answer: Any) -> None:
        assert status == self.status, answer
        if isinstance(self.detail, str):
            assert answer == {"detail": self.detail}
        elif self.detail is not None:
            assert [(error["type"], error["loc"]) for error in answer["detail"]] == self.detail


PARSE_ERROR = "There was an error parsing the body"
INVALID_MULTIPART = "Invalid multipart data."
UNFINISHED = "Multipart body ended before its closing boundary."

MISSING_A_B = [("missing", ["body", "a"]), ("missing", ["body", "b"])]
NO_NAME = 'The Content-Disposition header field "name" must be provided.'
N_NOT_INT = [("int_parsing", ["body", "n"])]
NESTED = part("n", "--inner\r\n\r\nzz\r\n--inner--", "Content-Type: multipart/mixed; boundary=inner\r\n")
CUT_MID_VALUE = part("a", "1") + f'--{B}\r\nContent-Disposition: form-data; name="b"\r\n\r\nhello wor'
LONG_HEADER = part("a", "1", "X-Long: " + "x" * (4 << 20) + "\r\n") + part("b", "2") + CLOSE
MANY_HEADERS = part("a", "1", "X-H: v\r\n" * 100_000) + part("b", "2") + CLOSE

CASES = {
    # JSON
    "json truncated": Case("/json", JSON, b'{"name": "a"', 422, [("json_invalid", ["body", 12])]),
    "json empty": Case("/json", JSON, b"", 422, [("missing", ["body"])]),
    "json only whitespace": Case("/json", JSON, b"  \r\n ", 422, [("json_invalid", ["body", 5])]),
    "json latin-1 bytes": Case(
        "/json", f"{JSON}; charset=latin-1", '{"name": "caf\xe9"}'.encode("latin-1"), 400, PARSE_ERROR
    ),
    "json invalid utf-8": Case("/json", JSON, b'{"name": "\xff\xfe"}', 400, PARSE_ERROR),
    "json unknown charset": Case(
        "/json", f"{JSON}; charset=nonsense", b'{"name": 1}', 422, [("string_type", ["body", "name"])]
    ),
    "json NUL in a string": Case("/json", JSON, b'{"name": "a\x00"}', 422, [("json_invalid", ["body", 11])]),
    "json nested 100k deep": Case("/any", JSON, b"[" * 100_000 + b"]" * 100_000, 400, PARSE_ERROR),
    "json 5000-digit number": Case("/any", JSON, b"1" * 5000, 400, PARSE_ERROR),
    "json two documents": Case("/json", JSON, b'{"name": "a"} {"name": "b"}', 422, [("json_invalid", ["body", 14])]),
    "json binary bytes": Case("/json", JSON, b"\x00\x01\x02binary", 400, PARSE_ERROR),
    # URL-encoded: WHATWG decoding keeps a bad escape as text and replaces invalid UTF-8, as FastAPI does
    "urlencoded bad escape into int": Case("/number", URLENCODED, b"n=%zz", 422, N_NOT_INT),
    "urlencoded huge key": Case(
        "/form", URLENCODED, b"a=1&b=2&" + b"k" * (2 << 20) + b"=1", 400, "Field exceeded maximum size of 1024KB."
    ),
    "urlencoded huge value": Case(
        "/form", URLENCODED, b"a=" + b"v" * (2 << 20) + b"&b=2", 400, "Field exceeded maximum size of 1024KB."
    ),
    "urlencoded too many fields": Case(
        "/form",
        URLENCODED,
        b"&".join(b"f%d=1" % n for n in range(1001)),
        400,
        "Too many fields. Maximum number of fields is 1000.",
    ),
    "urlencoded no values": Case("/form", URLENCODED, b"a&b", 422, MISSING_A_B),
    # multipart
    "multipart cut mid-value": Case("/form", MULTIPART, CUT_MID_VALUE.encode(), 400, UNFINISHED),
    "multipart cut in headers": Case("/form", MULTIPART, GOOD_FORM.encode()[:60], 400, UNFINISHED),
    "multipart no closing boundary": Case(
        "/form", MULTIPART, (part("a", "1") + part("b", "2")).encode(), 400, UNFINISHED
    ),
    "multipart file cut short": Case(
        "/upload", MULTIPART, (part("note", "n") + file_part("file", "x" * 5000)).encode(), 400, UNFINISHED
    ),
    "multipart wrong boundary": Case(
        "/form", MULTIPART.replace(B, "other"), GOOD_FORM.encode(), 400, INVALID_MULTIPART
    ),
    "multipart missing boundary": Case(
        "/form", "multipart/form-data", GOOD_FORM.encode(), 400, "Missing boundary in multipart."
    ),
    "multipart empty boundary": Case(
        "/form", "multipart/form-data; boundary=", GOOD_FORM.encode(), 400, INVALID_MULTIPART
    ),
    "multipart boundary but no body": Case("/form", MULTIPART, b"", 422, MISSING_A_B),
    "multipart preamble": Case("/form", MULTIPART, ("a preamble\r\n" + GOOD_FORM).encode(), 400, INVALID_MULTIPART),
    "multipart LF line ends": Case(
        "/form", MULTIPART, GOOD_FORM.replace("\r\n", "\n").encode(), 400, INVALID_MULTIPART
    ),
    "multipart no Content-Disposition": Case(
        "/form", MULTIPART, f"--{B}\r\nContent-Type: text/plain\r\n\r\nv\r\n{CLOSE}".encode(), 400, NO_NAME
    ),
    "multipart disposition without name": Case(
        "/form", MULTIPART, f"--{B}\r\nContent-Disposition: form-data\r\n\r\nv\r\n{CLOSE}".encode(), 400, NO_NAME
    ),
    "multipart header without colon": Case(
        "/form",
        MULTIPART,
        f"--{B}\r\nContent-Disposition form-data\r\n\r\nv\r\n{CLOSE}".encode(),
        400,
        INVALID_MULTIPART,
    ),
    "multipart 8-bit header name": Case(
        "/form",
        MULTIPART,
        (part("a", "1", "X-\xff: v\r\n") + part("b", "2") + CLOSE).encode("latin-1"),
        400,
        INVALID_MULTIPART,
    ),
    "multipart 4 MiB header line": Case("/form", MULTIPART, LONG_HEADER.encode(), 400, INVALID_MULTIPART),
    "multipart 100k header lines": Case("/form", MULTIPART, MANY_HEADERS.encode(), 400, INVALID_MULTIPART),
    "multipart text part over 1 MiB": Case(
        "/form",
        MULTIPART,
        (part("a", "x" * (2 << 20)) + part("b", "2") + CLOSE).encode(),
        400,
        "Part exceeded maximum size of 1024KB.",
    ),
    "multipart bad charset": Case(
        "/number", f"{MULTIPART}; charset=nonsense", (part("n", "x") + CLOSE).encode(), 422, N_NOT_INT
    ),
    "multipart nested multipart is text": Case("/number", MULTIPART, (NESTED + CLOSE).encode(), 422, N_NOT_INT),
    "multipart file where a field is wanted": Case(
        "/number", MULTIPART, (file_part("n", "1") + CLOSE).encode(), 422, [("int_type", ["body", "n"])]
    ),
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    with served_by_both(APP, tmp_path_factory) as both:
        yield both


def calls(port: int) -> list[Any]:
    return recorded(port, "calls")


def post(port: int, case: Case) -> tuple[int, Any]:
    headers = {} if case.content_type is None else {"content-type": case.content_type}
    with Connection(port) as connection:
        answer = connection.request("POST", case.path, headers, case.body)
    assert answer is not None, "the connection was dropped"
    assert answer.header("content-type") == "application/json"
    return answer.status, answer.json()


@pytest.mark.parametrize("name", CASES)
def test_bad_body_gets_a_json_4xx_and_the_endpoint_never_runs(servers: dict[str, ServerProcess], name: str) -> None:
    """The status and detail expected; no endpoint call recorded; /health answers afterwards."""
    port = servers["vivace"].port
    before = calls(port)
    CASES[name].check(*post(port, CASES[name]))
    assert calls(port) == before
    assert healthy(port)


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.detail != UNFINISHED])
def test_fastapi_gives_the_same_answer(servers: dict[str, ServerProcess], name: str) -> None:
    """The differential: outside the cut-off multipart bodies, FastAPI answers each case the same way."""
    CASES[name].check(*post(servers["fastapi"].port, CASES[name]))


def test_fastapi_hands_a_cut_off_multipart_form_to_the_endpoint(servers: dict[str, ServerProcess]) -> None:
    """The difference: without its closing boundary, FastAPI runs the endpoint with the parts read so far."""
    body = (part("a", "1") + part("b", "2") + part("c", "3")).encode()
    port = servers["fastapi"].port
    status, answer = post(port, Case("/form", MULTIPART, body, 200))
    assert (status, answer) == (200, {"a": "1", "b": "2"})
    assert calls(port)[-1] == ["form", "1", "2"]
    assert post(servers["vivace"].port, Case("/form", MULTIPART, body, 400)) == (400, {"detail": UNFINISHED})


def test_complete_bodies_still_work(servers: dict[str, ServerProcess]) -> None:
    """Control: the well-formed versions (an epilogue, a quoted boundary, duplicate fields) reach the endpoint."""
    port = servers["vivace"].port
    assert post(port, Case("/form", MULTIPART, (GOOD_FORM + "an epilogue").encode(), 200)) == (
        200,
        {"a": "1", "b": "2"},
    )
    quoted = MULTIPART.replace(B, f'"{B}"')
    assert post(port, Case("/form", quoted, GOOD_FORM.encode(), 200)) == (200, {"a": "1", "b": "2"})
    twice = (part("a", "1") + part("a", "9") + part("b", "2") + CLOSE).encode()
    assert post(port, Case("/form", MULTIPART, twice, 200)) == (200, {"a": "9", "b": "2"})
    upload = (part("note", "n") + file_part("file", "x" * 5000) + CLOSE).encode()
    assert post(port, Case("/upload", MULTIPART, upload, 200)) == (200, {"size": 5000, "note": "n"})
    assert post(port, Case("/json", JSON, b'\xef\xbb\xbf{"name": "bom"}', 200)) == (200, {"name": "bom", "tags": []})


@pytest.mark.parametrize(
    ("path", "content_type", "sent"),
    [
        ("/json", JSON, b'{"name": "a'),
        ("/form", URLENCODED, b"a=1&b="),
        ("/upload", MULTIPART, (part("note", "n") + file_part("file", "x" * 300_000)).encode()),
    ],
)
def test_client_that_leaves_mid_body_runs_nothing(
    servers: dict[str, ServerProcess], path: str, content_type: str, sent: bytes
) -> None:
    """A body cut short by the client closing the connection: no endpoint call, no leaked descriptor."""
    port = servers["vivace"].port
    before, fds = calls(port), stats(port)["fds"]
    with Connection(port) as connection:
        head = f"POST {path} HTTP/1.1\r\nhost: test\r\ncontent-type: {content_type}\r\ncontent-length: {len(sent) * 2}"
        connection.send(head.encode() + b"\r\n\r\n" + sent)
    assert healthy(port)
    assert calls(port) == before
    deadline = time.monotonic() + 10  # NOTE: the server notices the closed socket on its own schedule
    while stats(port)["fds"] > fds and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stats(port)["fds"] <= fds


def test_chunked_multipart_cut_before_its_boundary(servers: dict[str, ServerProcess]) -> None:
    """The same refusal when the body comes chunked and the chunked framing itself ends properly."""
    port = servers["vivace"].port
    body = (part("a", "1") + part("b", "2")).encode()
    with Connection(port) as connection:
        head = f"POST /form HTTP/1.1\r\nhost: test\r\ncontent-type: {MULTIPART}\r\ntransfer-encoding: chunked\r\n\r\n"
        connection.send(head.encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        answer = connection.response()
    assert answer is not None
    assert (answer.status, answer.json()) == (400, {"detail": UNFINISHED})


def stats(port: int) -> dict[str, int]:
    answer = get(port, "/stats")
    assert answer is not None
    result: dict[str, int] = answer.json()
    return result


def test_memory_and_descriptors_stay_bounded(servers: dict[str, ServerProcess]) -> None:
    """Five rounds of every bad body (about 70 MB sent): peak memory grows by a few MiB, no descriptor leaks."""
    port = servers["vivace"].port
    for case in CASES.values():  # one warm-up round: first-use allocations are not growth
        post(port, case)
    before = stats(port)
    for _ in range(5):
        for case in CASES.values():
            post(port, case)
    after = stats(port)
    growth_mib = (after["peak_kib"] - before["peak_kib"]) / 1024
    assert growth_mib < 16, f"peak memory grew by {growth_mib:.1f} MiB"
    assert after["fds"] <= before["fds"]
    assert healthy(port)

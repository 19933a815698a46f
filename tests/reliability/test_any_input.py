"""Any bytes in the path, query string, headers, cookies or body get a 2xx/4xx answer with a JSON body.

The app is called over raw ASGI (no test client normalising the input), with hypothesis choosing the bytes.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from vivace import Body, Cookie, FastAPI, Form, Header, Query

app = FastAPI()


class Item(BaseModel):
    name: str = Field(max_length=50)
    price: float
    tags: list[str] = []
    when: datetime | None = None


@app.get("/items/{item_id}")
async def read_item(
    item_id: int,
    q: Annotated[str | None, Query(max_length=20)] = None,
    n: Annotated[list[int], Query()] = [],  # noqa: B006 - FastAPI's idiom for a repeated query parameter
    ident: UUID | None = None,
    x_token: Annotated[str | None, Header()] = None,
    session: Annotated[str | None, Cookie()] = None,
) -> dict[str, Any]:
    return {"item_id": item_id, "q": q, "n": n, "ident": ident, "x_token": x_token, "session": session}


@app.get("/files/{path:path}")
async def read_file(path: str) -> dict[str, str]:
    return {"path": path}


@app.post("/items")
async def create_item(item: Item, extra: Annotated[int, Body()] = 0) -> Item:
    return item


@app.post("/form")
async def post_form(name: Annotated[str, Form()], age: Annotated[int, Form()] = 0) -> dict[str, Any]:
    return {"name": name, "age": age}


async def call(
    method: str, raw_path: bytes, query: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": raw_path.decode("latin-1"), "raw_path": raw_path, "root_path": "", "query_string": query,
        "headers": headers, "client": ("127.0.0.1", 1234), "server": ("testserver", 80),
    }  # fmt: skip
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)] or [b""]
    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    payload = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], start["headers"], payload


def check(answer: tuple[int, list[tuple[bytes, bytes]], bytes]) -> None:
    status, headers, payload = answer
    assert 200 <= status < 500, (status, payload)
    content_type = dict(headers).get(b"content-type", b"")
    if status != 307 and content_type.startswith(b"application/json"):
        json.loads(payload)  # a body that says JSON is JSON
    elif status not in (307, 405):
        raise AssertionError(f"non-JSON answer {status}: {content_type!r} {payload[:200]!r}")


any_bytes = st.binary(max_size=300)
header_names = st.sampled_from([b"x-token", b"cookie", b"content-type", b"content-length", b"accept", b"x-other"])
header_lists = st.lists(st.tuples(header_names, any_bytes), max_size=6)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(segment=any_bytes, query=any_bytes, headers=header_lists)
def test_get_with_any_path_query_and_headers(segment: bytes, query: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """GET routes with path, query, header and cookie parameters answer 2xx/4xx JSON for any bytes."""
    for path in (b"/items/" + segment, b"/files/" + segment):
        check(asyncio.run(call("GET", path, query, headers, b"")))


@FAST
@given(
    body=any_bytes,
    content_type=st.sampled_from(
        [
            b"application/json",
            b"application/x-www-form-urlencoded",
            b"multipart/form-data; boundary=xyz",
            b"text/plain",
            b"application/json; charset=latin-1",
            b"",
        ]
    ),
)
def test_post_with_any_body(body: bytes, content_type: bytes) -> None:
    """JSON and form routes answer 2xx/4xx JSON for any body under any declared content type."""
    headers = [(b"content-type", content_type)] if content_type else []
    for path in (b"/items", b"/form"):
        check(asyncio.run(call("POST", path, b"", headers, body)))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@FAST
@given(item=st.dictionaries(st.sampled_from(["name", "price", "tags", "when", "x"]), json_values, max_size=5))
def test_post_with_any_json_document(item: dict[str, Any]) -> None:
    """Any JSON document, valid or not for the model, answers 200 or 422 with JSON (the 422 echoes the input)."""
    body = json.dumps(item).encode()
    status, _, payload = asyncio.run(call("POST", b"/items", b"", [(b"content-type", b"application/json")], body))
    assert status in (200, 422), (status, payload)
    json.loads(payload)


def test_redirect_keeps_a_query_that_is_not_utf8() -> None:
    """The trailing-slash redirect percent-encodes stray bytes of the query (Starlette's URL would fail: a 500)."""
    status, headers, _ = asyncio.run(call("POST", b"/items/", b"a=\xff&b=%C3%A9 x", [], b""))
    assert (status, dict(headers)[b"location"]) == (307, b"http://testserver/items?a=%FF&b=%C3%A9%20x")

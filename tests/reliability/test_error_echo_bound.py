"""The 422 body is bounded whatever the client sends: at most MAX_ERRORS entries per request location (then one
`too_many_errors` entry), and at most ECHO_BUDGET characters of echoed input per location, long strings cut with
a marker. Below the bounds the body is FastAPI's, byte for byte.

FastAPI answers a body of 100,000 bad list items with a 13 MB 422 built in seconds; vivace's stays near 130 KB.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI as RealFastAPI
from fastapi.testclient import TestClient as RealTestClient
from process_support import ServerProcess, uvicorn_process
from pydantic import BaseModel, Field
from wire import Connection, healthy

from vivace import FastAPI
from vivace._core.errors import ECHO_BUDGET, KEPT_PREFIX, MAX_ERRORS, NOT_ECHOED, TRUNCATED
from vivace.testclient import TestClient

#: the bound the tests hold a 422 to: MAX_ERRORS entries of ~100 bytes plus ECHO_BUDGET of echoed input
BOUND = 256 * 1024

LIMIT = 1024 * 1024

SERVED = f"""
from pydantic import BaseModel
from vivace import FastAPI

app = FastAPI(max_body_size={LIMIT})

@app.get("/health")
async def health():
    return {{"ok": True}}

@app.post("/numbers")
async def numbers(body: list[int]):
    return len(body)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with uvicorn_process(SERVED, tmp_path_factory.mktemp("echo")) as served:
        yield served


def bad_items(size: int) -> bytes:
    """A JSON list of exactly `size` bytes whose every item fails `int` validation."""
    count = (size - 2) // 4
    body = b"[" + b",".join([b'"x"'] * count) + b"]"
    return body + b" " * (size - len(body))


def test_hostile_body_of_the_maximum_size_gets_a_bounded_422(server: ServerProcess) -> None:
    """A body of exactly the accepted maximum (1 MiB, 262,143 bad items) over a real uvicorn: a 422 under 256 KiB
    that is valid JSON, lists MAX_ERRORS entries and says that validation stopped there (a body over LARGE_BODY is
    validated with its errors bounded: the rest is not checked); the server keeps answering."""
    body = bad_items(LIMIT)
    with Connection(server.port, timeout=60) as connection:
        answer = connection.request("POST", "/numbers", {"content-type": "application/json"}, body)
    assert answer is not None
    assert answer.status == 422
    assert len(answer.body) < BOUND
    detail = answer.json()["detail"]
    assert len(detail) == MAX_ERRORS + 1
    assert detail[0] == {"type": "int_parsing", "loc": ["body", 0], "msg": detail[0]["msg"], "input": "x"}
    assert detail[-1]["type"] == "too_many_errors"
    assert detail[-1]["loc"] == ["body"]
    assert detail[-1]["msg"] == (
        f"more errors not listed (at most {MAX_ERRORS} are): validation stopped there, the rest of the input was not "
        "checked"
    )
    assert healthy(server.port)


class Named(BaseModel):
    name: str = Field(max_length=3)


class Wide(BaseModel):
    a: int
    b: int
    c: int


def echo_app(framework: Any) -> Any:
    app = framework()

    @app.post("/named")
    async def named(body: Named) -> None: ...

    @app.post("/wide")
    async def wide(body: list[Wide]) -> None: ...

    @app.post("/numbers")
    async def numbers(body: list[int]) -> None: ...

    return app


client = TestClient(echo_app(FastAPI))


def detail(path: str, payload: Any) -> list[dict[str, Any]]:
    response = client.post(path, json=payload)
    assert response.status_code == 422
    result: list[dict[str, Any]] = response.json()["detail"]
    return result


def test_long_string_is_cut_with_a_marker() -> None:
    """A string input longer than the budget is echoed as its first characters followed by the marker."""
    entry = detail("/named", {"name": "y" * (ECHO_BUDGET + 10)})[0]
    assert entry["type"] == "string_too_long"
    assert entry["input"] == "y" * KEPT_PREFIX + TRUNCATED


def test_large_containers_are_not_echoed_once_the_budget_is_spent() -> None:
    """Each `missing` error echoes its whole item; once the budget is spent, items are replaced by the marker and
    the body stays bounded (FastAPI would echo each 8 KB item three times)."""
    items = [{"pad": "p" * 8000} for _ in range(200)]
    entries = detail("/wide", items)
    assert len(entries) == 600
    echoed = [entry["input"] for entry in entries]
    assert echoed[0] == items[0]
    assert NOT_ECHOED in echoed
    assert len(json.dumps(entries)) < BOUND


def test_many_errors_are_capped_with_a_count() -> None:
    """One error past MAX_ERRORS: MAX_ERRORS entries, then `too_many_errors` naming the one left out."""
    entries = detail("/numbers", ["x"] * (MAX_ERRORS + 1))
    assert len(entries) == MAX_ERRORS + 1
    assert entries[-1] == {
        "type": "too_many_errors",
        "loc": ["body"],
        "msg": f"1 more errors not listed (at most {MAX_ERRORS} are)",
        "input": None,
    }


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/numbers", ["x"] * MAX_ERRORS),
        ("/named", {"name": "y" * 1000}),
        ("/wide", [{"pad": "p" * 100} for _ in range(50)]),
    ],
    ids=["exactly MAX_ERRORS errors", "a 1000-character string", "50 items missing 3 fields"],
)
def test_below_the_bounds_the_body_is_fastapis(path: str, payload: Any) -> None:
    """Differential: the 422 bytes equal FastAPI's for inputs within the bounds."""
    ours = client.post(path, json=payload)
    theirs = RealTestClient(echo_app(RealFastAPI)).post(path, json=payload)
    assert (ours.status_code, ours.content) == (theirs.status_code, theirs.content)

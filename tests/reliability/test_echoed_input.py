"""Answers that echo the client's input are valid JSON for anything the JSON parser accepted.

FastAPI answers 500 to each case below (its writer refuses NaN and infinities, and UTF-8 refuses half a
surrogate pair); vivace answers 422 with the value as text, or 200 with null, as docs/differences.md states.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from vivace import FastAPI
from vivace.testclient import TestClient


class Item(BaseModel):
    name: str
    count: int = 0


app = FastAPI()


@app.post("/item")
async def item(body: Item) -> Item:
    return body


@app.post("/numbers")
async def numbers(body: list[int]) -> list[int]:
    return body


@app.get("/plain")
async def plain(x: float) -> dict[str, Any]:
    return {"x": x, "list": [x]}


client = TestClient(app, raise_server_exceptions=False)


def post(path: str, body: bytes) -> tuple[int, Any]:
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    return response.status_code, json.loads(response.content)


@pytest.mark.parametrize(
    ("literal", "echoed"),
    [
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("1e400", "Infinity"),
        ("-1E999", "-Infinity"),
    ],
)
def test_non_finite_numbers_are_echoed_as_text(literal: str, echoed: str) -> None:
    """A number JSON cannot write back comes back in the 422 as the text JSON tools print for it."""
    status, answer = post("/item", f'{{"name": {literal}}}'.encode())
    assert status == 422
    assert answer["detail"][0]["input"] == echoed
    status, answer = post("/numbers", f"[1, {literal}]".encode())
    assert (status, answer["detail"][0]["loc"], answer["detail"][0]["input"]) == (422, ["body", 1], echoed)


@pytest.mark.parametrize("escape", [r"\ud800", r"\uDBFF", r"\udc00", r"\ud83d\u0041", r"\\\ud800"])
def test_unpaired_surrogate_escapes_are_a_decode_error(escape: str) -> None:
    """Half a surrogate pair is not Unicode: the body gets FastAPI's JSON decode error shape, never a 500."""
    status, answer = post("/item", f'{{"name": "a{escape}"}}'.encode())
    assert status == 422
    (error,) = answer["detail"]
    assert (error["type"], error["msg"], error["loc"][0]) == ("json_invalid", "JSON decode error", "body")


@pytest.mark.parametrize("text", [r"\ud83d\ude00", r"\\ud800", r"\u00e9\n\t\"\\"])
def test_valid_escapes_are_accepted(text: str) -> None:
    """A surrogate pair, an escaped backslash before `ud800` and the usual escapes are ordinary strings."""
    status, answer = post("/item", f'{{"name": "{text}"}}'.encode())
    assert status == 200
    assert answer["name"] == json.loads(f'"{text}"')


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400"])
def test_non_finite_results_without_response_model_are_null(value: str) -> None:
    """A plain result holding NaN or an infinity is written with null, as Pydantic writes it for a response model."""
    response = client.get("/plain", params={"x": value})
    assert (response.status_code, response.json()) == (200, {"x": None, "list": [None]})


json_numbers = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-0.0", "1E-400", "12345678901234567890123"])
json_strings = st.text().map(json.dumps) | st.sampled_from(['"\\ud800"', '"\\udfff x"', '"\\u0000"', '"\\/"'])
json_texts = st.recursive(
    json_numbers | json_strings | st.sampled_from(["true", "null", "0"]),
    lambda inner: (
        st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]")
        | st.lists(st.tuples(json_strings, inner), max_size=4).map(
            lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(text=json_texts)
def test_any_accepted_json_gets_a_json_answer(text: str) -> None:
    """Whatever JSON text Python's parser accepts, the answer is 200 or 422 and its body is valid JSON."""
    for path in ("/item", "/numbers"):
        response = client.post(path, content=text.encode(), headers={"content-type": "application/json"})
        assert response.status_code in (200, 422), response.text
        json.loads(response.content)
        response.content.decode("utf-8")

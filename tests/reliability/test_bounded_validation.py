"""A JSON body over LARGE_BODY bytes is validated with its errors bounded (`_core/bounded.py`): memory grows with
the error cap, not with the number of bad items, and validation stops once the cap is passed.

Below the cap the answer is FastAPI's, byte for byte, whatever the body's size; over it, the first MAX_ERRORS
entries are the ones FastAPI lists first, then one `too_many_errors` entry says that validation stopped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

import pytest
from fastapi import FastAPI as RealFastAPI
from fastapi.testclient import TestClient as RealTestClient
from process_support import ServerProcess, uvicorn_process
from pydantic import BaseModel, ConfigDict, Field, OnErrorOmit, TypeAdapter, field_validator
from pydantic_core import PydanticCustomError
from wire import STATS_ROUTE, Connection, get, healthy

from vivace import FastAPI
from vivace._core.bounded import CHUNK, LARGE_BODY, BoundedValidator
from vivace._core.errors import MAX_ERRORS
from vivace.testclient import TestClient

STOPPED = (
    f"more errors not listed (at most {MAX_ERRORS} are): validation stopped there, the rest of the input was not "
    "checked"
)


class Item(BaseModel):
    name: str
    price: float


class Tagged(BaseModel):
    name: str
    tags: list[int] = []

    @field_validator("name")
    @classmethod
    def not_reserved(cls, value: str) -> str:
        if value == "reserved":
            raise ValueError("the name {name} is reserved")
        if value == "custom":
            raise PydanticCustomError("name_custom", "custom {what}", {"what": "rule"})
        return value


class Holder(BaseModel):
    values: list[int]
    mapping: dict[str, int] = {}
    unique: set[int] = set()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: int


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: int
    children: list[Node] = []


class Pair(BaseModel):
    first: Node
    rest: list[Node]


def routes(app: Any) -> Any:
    @app.post("/items")
    async def items(body: list[Item]) -> int:
        return len(body)

    @app.post("/tagged")
    async def tagged(body: list[Tagged]) -> list[Tagged]:
        return body

    @app.post("/holder")
    async def holder(body: Holder) -> Holder:
        return body

    @app.post("/either")
    async def either(body: list[list[int] | list[str]]) -> int:
        return len(body)

    @app.post("/lenient")
    async def lenient(body: list[list[OnErrorOmit[int]]]) -> int:
        return sum(len(part) for part in body)

    @app.post("/bounded")
    async def bounded(body: Annotated[list[int], Field(max_length=100_000)]) -> int:
        return len(body)

    @app.post("/sequence")
    async def sequence(body: Sequence[int]) -> int:
        return len(body)

    @app.post("/strict")
    async def strict(body: Strict) -> int:
        return body.a

    @app.post("/tree")
    async def tree(body: Pair) -> int:
        return len(body.rest)

    @app.post("/embedded")
    async def embedded(first: list[int], second: list[Strict]) -> int:
        return len(first) + len(second)

    return app


ours = TestClient(routes(FastAPI()))
theirs = RealTestClient(routes(RealFastAPI()))


def large(payload: Any) -> bytes:
    body = json.dumps(payload).encode()
    assert len(body) > LARGE_BODY
    return body


def both(path: str, body: bytes) -> tuple[Any, Any]:
    headers = {"content-type": "application/json"}
    return ours.post(path, content=body, headers=headers), theirs.post(path, content=body, headers=headers)


ITEMS = [{"name": f"n{i}", "price": i} for i in range(5000)]
TAGGED = [{"name": f"n{i}", "tags": [i, i + 1]} for i in range(5000)]
HOLDER = {"values": list(range(30_000)), "mapping": {f"k{i}": i for i in range(500)}, "unique": list(range(400))}


def changed(payload: list[Any], changes: dict[int, Any]) -> list[Any]:
    return [changes.get(i, item) for i, item in enumerate(payload)]


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/items", ITEMS),
        ("/items", changed(ITEMS, {3: {"name": 1}, 700: 5, 4999: {"price": "x"}})),
        ("/tagged", TAGGED),
        ("/tagged", changed(TAGGED, {1: {"name": "reserved"}, 300: {"name": "custom", "tags": ["a", 2, "b"]}})),
        ("/holder", HOLDER),
        ("/holder", {**HOLDER, "values": [*range(20_000), "x", *range(300), "y"], "unique": [1, "z"]}),
        ("/holder", {**HOLDER, "mapping": {**HOLDER["mapping"], "bad": "x"}}),
        ("/either", [["a", "b"]] * 6000 + [[1, 2]] * 6000),
        ("/either", [["a", "b"]] * 6000 + [[1, {}]]),
        ("/lenient", [["x"] * 300] * 300),
        ("/sequence", list(range(20_000))),
        ("/strict", {"a": 1, **{f"key{i}-" + "k" * 80: i for i in range(900)}}),
        ("/tree", {"first": {"value": 1}, "rest": [{"value": i, "children": [{"value": i}]} for i in range(3000)]}),
        (
            "/tree",
            {
                "first": {"value": 1, "x": 0},
                "rest": [{"value": i, "children": [{"v": i}] * (i % 999 == 5)} for i in range(3000)],
            },
        ),
        ("/sequence", [*range(20_000), "x"]),
        ("/bounded", list(range(50_000))),
        ("/embedded", {"first": list(range(20_000)), "second": [{"a": 1}] * 2000 + [{"a": 1, "b": 2}]}),
    ],
    ids=[
        "valid list of models",
        "three bad models",
        "valid nested lists",
        "value errors and a custom error type",
        "valid model with containers",
        "a few bad items in a long list and a set",
        "a bad dict value",
        "union of lists, valid",
        "union of lists, one bad",
        "on_error=omit drops thousands of items",
        "valid Sequence",
        "900 extra keys forbidden",
        "valid recursive models",
        "a few bad recursive models",
        "a bad Sequence item",
        "max_length respected",
        "embedded, extra key forbidden",
    ],
)
def test_large_bodies_below_the_cap_answer_as_fastapi(path: str, payload: Any) -> None:
    """Differential: a body over LARGE_BODY with fewer errors than the cap gets FastAPI's exact status and bytes."""
    mine, real = both(path, large(payload))
    assert (mine.status_code, mine.content) == (real.status_code, real.content)


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/items", [1] * 40_000),
        ("/items", [{}] * 40_000),
        ("/tagged", [{"name": "reserved", "tags": ["x"] * 40}] * 2000),
        ("/holder", {"values": ["x"] * 30_000, "mapping": {f"k{i}": "x" for i in range(5000)}}),
        ("/either", [[{}] * 10] * 10_000),
        ("/sequence", ["x"] * 40_000),
        ("/strict", {"a": "x", **{f"key{i}": i for i in range(20_000)}}),
        ("/tree", {"first": {"value": "x"}, "rest": [{"value": "x", "children": [{"w": 1}] * 5}] * 3000}),
    ],
    ids=[
        "flat bad items",
        "missing fields",
        "nested bad lists",
        "bad list then bad dict",
        "bad unions",
        "Sequence",
        "20,000 extra keys forbidden",
        "bad recursive models",
    ],
)
def test_over_the_cap_the_first_entries_are_fastapis(path: str, payload: Any) -> None:
    """Differential: over the cap, the first MAX_ERRORS entries equal the first ones FastAPI lists, then one entry
    says that validation stopped."""
    mine, real = both(path, large(payload))
    assert mine.status_code == real.status_code == 422
    listed = mine.json()["detail"]
    assert listed[:MAX_ERRORS] == real.json()["detail"][:MAX_ERRORS]
    assert len(listed) == MAX_ERRORS + 1
    assert (listed[-1]["type"], listed[-1]["msg"]) == ("too_many_errors", STOPPED)


def test_a_constrained_list_is_validated_whole() -> None:
    """A list with `max_length` is not cut in chunks (its length is checked as a whole): an over-long one is a 422
    `too_long` with the actual length."""
    answer = ours.post("/bounded", content=large(list(range(100_001))), headers={"content-type": "application/json"})
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert (entry["type"], entry["ctx"]["actual_length"]) == ("too_long", 100_001)


def test_a_stopped_validation_says_so() -> None:
    """The last entry of a stopped validation: `too_many_errors` at the location, with no count."""
    entries = ours.post("/items", content=large([1] * 40_000), headers={"content-type": "application/json"})
    assert entries.json()["detail"][-1] == {"type": "too_many_errors", "loc": ["body"], "msg": STOPPED, "input": None}


def test_an_embedded_body_stops_across_its_fields() -> None:
    """Errors of several embedded parameters share one cap: the second field is not validated once it is passed."""
    body = large({"first": ["x"] * 30_000, "second": [{"a": "x"}] * 100})
    detail = ours.post("/embedded", content=body, headers={"content-type": "application/json"}).json()["detail"]
    assert len(detail) == MAX_ERRORS + 1
    assert {entry["loc"][1] for entry in detail[:-1]} == {"first"}
    assert detail[-1]["msg"] == STOPPED


def test_bad_items_are_validated_only_until_the_cap() -> None:
    """Validation stops within one chunk past the cap: items after it are never handed to Pydantic."""
    seen: list[int] = []

    class Counted(BaseModel):
        value: int

        @field_validator("value", mode="before")
        @classmethod
        def count(cls, value: Any) -> Any:
            seen.append(1)
            return value

    validator = BoundedValidator(TypeAdapter(list[Counted]).core_schema)
    value, error, stopped = validator.validate([{"value": "x"}] * 100_000)
    assert value is None and error is not None and stopped
    assert MAX_ERRORS < error.error_count() <= MAX_ERRORS + CHUNK
    assert len(seen) <= MAX_ERRORS + CHUNK + 1


def test_a_valid_large_list_is_validated_once() -> None:
    """A valid list longer than CHUNK is validated chunk by chunk, and its chunks are the result (no second pass)."""
    seen: list[int] = []

    class Counted(BaseModel):
        value: int

        @field_validator("value")
        @classmethod
        def count(cls, value: int) -> int:
            seen.append(value)
            return value

    validator = BoundedValidator(TypeAdapter(list[Counted]).core_schema)
    value, error, stopped = validator.validate([{"value": i} for i in range(10 * CHUNK + 3)])
    assert error is None and not stopped
    assert [item.value for item in value] == list(range(10 * CHUNK + 3)) == seen


def test_models_keep_their_own_validators() -> None:
    """Building the guarded validator leaves the model classes as they were (complete, with their validators)."""
    validator = BoundedValidator(TypeAdapter(list[Tagged]).core_schema)
    validator.validate([{"name": "a"}])
    assert Tagged.__pydantic_complete__ is True
    assert Tagged.model_validate({"name": "a", "tags": ["1"]}).tags == [1]


SERVED = f"""
from pydantic import BaseModel
from vivace import FastAPI

app = FastAPI()

class Item(BaseModel):
    name: str
    price: float

class Holder(BaseModel):
    values: list[int]

@app.get("/health")
async def health():
    return {{"ok": True}}

@app.post("/items")
async def items(body: list[Item]):
    return len(body)

@app.post("/holder")
async def holder(body: Holder):
    return len(body.values)

@app.post("/reset-peak")
async def reset_peak():
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak (VmHWM) restarts from the current RSS
{STATS_ROUTE}
"""

#: the default `max_body_size`, less room for the framing
SIZE = 16 * 1024 * 1024 - 64
#: what the server process may grow by for one such body: the body itself (twice, as read and joined), its decoded
#: form (a list of small ints is 8 bytes an item: 64 MiB here) and the bounded errors. Measured: 186 MiB for
#: 8 million numbers, 123 MiB for 4 million strings, where it grew by 2 to 4.5 GB without the bound
GROWTH_BOUND_MIB = 250


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with uvicorn_process(SERVED, tmp_path_factory.mktemp("bounded")) as served:
        yield served


def reset_peak(server: ServerProcess) -> None:
    with Connection(server.port) as connection:
        answer = connection.request("POST", "/reset-peak", {}, b"")
    assert answer is not None and answer.status == 200


def peak_kib(server: ServerProcess) -> int:
    answer = get(server.port, "/stats")
    assert answer is not None
    return int(answer.json()["peak_kib"])


def hostile(kind: str) -> tuple[str, bytes]:
    if kind == "numbers for models":
        count = (SIZE - 2) // 2
        return "/items", b"[" + b"1," * (count - 1) + b"1]"
    count = (SIZE - 14) // 4
    return "/holder", b'{"values":[' + b'"x",' * (count - 1) + b'"x"]}'


@pytest.mark.parametrize("kind", ["numbers for models", "strings for a nested list of ints"])
def test_a_maximum_size_body_of_bad_items_keeps_the_server_small(server: ServerProcess, kind: str) -> None:
    """A 16 MiB body of millions of bad items over a real uvicorn: a bounded 422 that says validation stopped, the
    server's peak memory grows by less than GROWTH_BOUND_MIB, and it keeps answering."""
    path, body = hostile(kind)
    reset_peak(server)
    before = peak_kib(server)
    with Connection(server.port, timeout=120) as connection:
        answer = connection.request("POST", path, {"content-type": "application/json"}, body)
    assert answer is not None
    assert answer.status == 422
    assert len(answer.body) < 256 * 1024
    detail = answer.json()["detail"]
    assert len(detail) == MAX_ERRORS + 1
    assert detail[-1] == {"type": "too_many_errors", "loc": ["body"], "msg": STOPPED, "input": None}
    growth_mib = (peak_kib(server) - before) / 1024
    assert growth_mib < GROWTH_BOUND_MIB, f"the server grew by {growth_mib:.0f} MiB"
    assert healthy(server.port)

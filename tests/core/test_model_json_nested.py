"""The checked orjson writer for nested models, lists of models and datetimes: Pydantic's bytes, or None.

Hypothesis generates trees of values; every answer of the writer is compared with Pydantic's own dump through
the TypeAdapter the route serializer uses.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, TypeAdapter, field_serializer
from pydantic_core import TzInfo

from vivace._core.model_json import build_fast_dump


class Leaf(BaseModel):
    name: str
    weight: float = 1.0
    at: datetime.datetime | None = None


class Branch(BaseModel):
    id: int
    leaf: Leaf
    spare: Leaf | None = None
    leaves: list[Leaf] = []
    more: list[Leaf] | None = None
    labels: list[str] = []
    when: datetime.datetime


class Node(BaseModel):
    value: int
    children: list[Node] = []


class Twice(BaseModel):
    first: Leaf
    second: Leaf  # the same model twice: Pydantic refers to it by definition


class Flat(BaseModel):
    id: int
    label: str


class Holder(BaseModel):
    flat: Flat
    note: str = ""


def write(response_model: Any, value: Any) -> bytes | None:
    """The writer's answer; when it answers, it must be Pydantic's bytes."""
    built = build_fast_dump(response_model)
    assert built is not None, f"no fast writer for {response_model}"
    written = built[0](value)
    if written is not None:
        assert written == TypeAdapter(response_model).dump_json(value, warnings=False), value
    return written


def _zones() -> st.SearchStrategy[datetime.tzinfo | None]:
    minutes = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: datetime.timezone(datetime.timedelta(minutes=m)))
    seconds = st.integers(-86399, 86399).map(lambda s: datetime.timezone(datetime.timedelta(seconds=s)))
    pydantic_zones = st.integers(-86399, 86399).map(TzInfo)
    named = st.sampled_from(["UTC", "Europe/Amsterdam", "America/St_Johns", "Asia/Kathmandu"]).map(zoneinfo.ZoneInfo)
    return st.none() | st.just(datetime.UTC) | minutes | seconds | pydantic_zones | named


_DATETIMES = st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(), _zones())
_TEXT = st.text(max_size=8)
_FLOATS = st.floats(allow_nan=True, allow_infinity=True)
_LEAVES = st.builds(Leaf, name=_TEXT, weight=_FLOATS, at=st.none() | _DATETIMES)
_BRANCHES = st.builds(
    Branch,
    id=st.integers(-(2**63), 2**63 - 1),
    leaf=_LEAVES,
    spare=st.none() | _LEAVES,
    leaves=st.lists(_LEAVES, max_size=3),
    more=st.none() | st.lists(_LEAVES, max_size=2),
    labels=st.lists(_TEXT, max_size=3),
    when=_DATETIMES,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_BRANCHES, max_size=4))
def test_validated_trees_match_pydantic(branches: list[Branch]) -> None:
    """Validated trees with any datetimes, floats and strings: the writer answers with Pydantic's bytes or None."""
    write(list[Branch], branches)
    for branch in branches:
        write(Branch, branch)


_ODD = st.one_of(
    st.integers(),
    _FLOATS,
    st.booleans(),
    st.none(),
    _TEXT,
    _DATETIMES,
    st.dates(),
    st.builds(dict),
    st.lists(st.integers(), max_size=2),
    st.builds(Leaf.model_construct, name=st.integers()),
)


@settings(max_examples=300, deadline=None)
@given(name=_ODD, weight=_ODD, at=_ODD, leaf=_ODD, labels=_ODD, when=_ODD)
def test_values_that_bypassed_validation_match_pydantic_or_fall_back(**values: Any) -> None:
    """Anything model_construct may put in any field, nested or not: Pydantic's bytes or None."""
    leaf = Leaf.model_construct(name=values["name"], weight=values["weight"], at=values["at"])
    branch = Branch.model_construct(
        id=1, leaf=values["leaf"], leaves=[leaf], labels=values["labels"], when=values["when"]
    )
    try:
        TypeAdapter(list[Branch]).dump_json([branch], warnings=False)
    except Exception:  # Pydantic refuses this value: the writer must step aside
        assert build_fast_dump(list[Branch])[0]([branch]) is None  # type: ignore[index]
    else:
        write(list[Branch], [branch])
        write(Leaf, leaf)


def test_well_typed_trees_are_written_by_the_fast_path() -> None:
    """Validated trees with UTC, naive and whole-minute offsets are answered by orjson, not left to Pydantic."""
    when = datetime.datetime(2024, 5, 1, 12, 30, 15, 250, tzinfo=datetime.timezone(datetime.timedelta(hours=-3)))
    leaf = Leaf(name="l", weight=0.5, at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    branches = [
        Branch(id=i, leaf=leaf, spare=None if i % 2 else leaf, leaves=[leaf] * i, labels=["a"], when=when)
        for i in range(5)
    ]
    assert write(list[Branch], branches) is not None
    assert write(Branch, branches[1]) is not None
    parsed = Branch.model_validate_json(branches[2].model_dump_json())  # Pydantic's own TzInfo zones
    assert write(Branch, parsed) is not None
    assert write(Twice, Twice(first=leaf, second=leaf)) is not None
    assert write(list[Holder], [Holder(flat=Flat(id=i, label="x")) for i in range(3)]) is not None


def test_recursive_models_are_written_by_the_fast_path() -> None:
    """A tree of one recursive model is answered; a cycle is left to Pydantic, which reports it."""
    tree = Node(value=1, children=[Node(value=2, children=[Node(value=3)]), Node(value=4)])
    assert write(Node, tree) is not None
    assert write(list[Node], [tree, tree]) is not None
    looped = Node(value=1)
    looped.children.append(looped)
    assert build_fast_dump(Node)[0](looped) is None  # type: ignore[index]


def test_zones_pydantic_and_orjson_write_differently_are_left_to_pydantic() -> None:
    """Offsets with seconds, named zones and zones without an offset fall back; orjson would differ on some."""

    class NoOffset(datetime.tzinfo):
        def utcoffset(self, dt: datetime.datetime | None) -> None:
            return None

    stamp = datetime.datetime(1900, 1, 1)
    for zone in (
        datetime.timezone(datetime.timedelta(minutes=19, seconds=32)),
        datetime.timezone(datetime.timedelta(microseconds=-1)),
        zoneinfo.ZoneInfo("Europe/Amsterdam"),
        NoOffset(),
    ):
        branch = Branch(id=1, leaf=Leaf(name="l"), when=stamp.replace(tzinfo=zone))
        assert write(Branch, branch) is None
    odd = stamp.replace(tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))
    assert orjson.dumps(odd, option=orjson.OPT_UTC_Z) != TypeAdapter(datetime.datetime).dump_json(odd)


def test_nested_instances_pydantic_writes_differently_are_left_to_it() -> None:
    """A nested subclass, dict, hand-set attribute or missing field, or a tuple of models: the writer steps aside."""

    class Bigger(Leaf):
        extra: int = 1

    when = datetime.datetime(2024, 1, 1)
    hand_set = Leaf(name="h")
    object.__setattr__(hand_set, "secret", 1)
    for odd in (Bigger(name="b"), {"name": "d"}, hand_set, Leaf.model_construct(weight=2.0)):
        assert write(Branch, Branch.model_construct(id=1, leaf=odd, when=when)) is None
        assert write(Branch, Branch.model_construct(id=1, leaf=Leaf(name="ok"), leaves=[odd], when=when)) is None
    tupled = Branch.model_construct(id=1, leaf=Leaf(name="ok"), leaves=(Leaf(name="t"),), when=when)
    assert write(Branch, tupled) is None


def test_datetimes_outside_datetime_fields_are_checked_too() -> None:
    """With orjson's datetime writer on, a datetime (or anything but str) in a str field falls back."""
    when = datetime.datetime(2024, 1, 1)
    odd_zone = when.replace(tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))
    assert write(Leaf, Leaf.model_construct(name=odd_zone, weight=1.0, at=None)) is None
    assert write(Branch, Branch.model_construct(id=1, leaf=Leaf(name="l"), labels=[odd_zone], when=when)) is None


class _Serialized(BaseModel):
    at: datetime.datetime

    @field_serializer("at")
    def _epoch(self, value: datetime.datetime) -> float:
        return value.timestamp()


class _Temporal(BaseModel):
    model_config = ConfigDict(ser_json_temporal="milliseconds")
    at: datetime.datetime


def test_nested_models_outside_the_fast_path_rule_out_their_parents() -> None:
    """A parent holding a model with a custom serializer or other datetime settings gets no writer."""

    class Parent(BaseModel):
        inner: _Serialized

    class Other(BaseModel):
        inner: list[_Temporal]

    for model in (Parent, Other):
        assert build_fast_dump(model) is None
        assert build_fast_dump(list[model]) is None

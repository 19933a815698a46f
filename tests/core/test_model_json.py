"""The checked orjson writer for models: its bytes are Pydantic's, or it steps aside (returns None).

Every test compares with what Pydantic itself writes for the same value, through the same TypeAdapter the
route serializer uses; a writer that answers must answer with exactly those bytes.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import functools
import random
import struct
import sys
import uuid
import warnings
from typing import Annotated, Any

import orjson
import pytest
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    TypeAdapter,
    computed_field,
    field_serializer,
    field_validator,
    model_serializer,
)

from vivace._core.model_json import build_fast_dump


class Color(enum.Enum):
    red = "red"


class Level(enum.IntEnum):
    high = 3


class Name(str):
    pass


class Count(int):
    pass


class Ratio(float):
    pass


@dataclasses.dataclass
class Point:
    x: int


class Inner(BaseModel):
    a: int


UTC_NOON = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)

# Values a field may hold once validation is bypassed (model_construct, assignment without validate_assignment).
VALUES: list[Any] = [
    0, 7, -3, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30,
    0.0, -0.0, 1.5, 3.0, 1e16, 1e-7, 5e-324, 1.7976931348623157e308, float("nan"), float("inf"), float("-inf"),
    True, False, None,
    "", "plain", "quote\" back\\ slash", "tab\tnew\nline\r\x00\x1f\x7f", "é ü 中文 🎉", "\u2028\u2029", "</script>",
    Color.red, Level.high, Name("sub"), Count(4), Ratio(2.5),
    UTC_NOON, UTC_NOON.replace(tzinfo=None), datetime.date(2024, 5, 1), datetime.time(12, 30), datetime.timedelta(1),
    uuid.UUID(int=7), decimal.Decimal("1.50"), b"bytes", bytearray(b"x"), {1, 2}, frozenset({3}), (1, 2.0),
    [1, 2.5, "x", None], {"k": [1, {"n": 2.0}]}, {1: "int key"}, Point(1), Inner(a=1),
    [], ["a", "b"], [True, False], ("t", 1), [Name("sub")], [UTC_NOON], [Inner(a=1)], [Level.high, 3], [[1.0, 2]],
    [float("nan"), 1],
]

FIELD_TYPES: list[Any] = [
    int, float, str, bool, int | None, float | None, str | None, bool | None, list[str], list[bool], list[str] | None,
    Inner, Inner | None, list[Inner], list[Inner] | None, datetime.datetime, datetime.datetime | None,
]


def model_of(annotation: Any, **config: Any) -> type[BaseModel]:
    """A model with one field `f` of `annotation` plus a well-typed neighbour of each scalar kind."""
    namespace = {
        "__annotations__": {"f": annotation, "n": int, "x": float, "s": str, "b": bool},
        "model_config": ConfigDict(**config),  # type: ignore[typeddict-item]
    }
    return type("Flat", (BaseModel,), namespace)


def pydantic_bytes(response_model: Any, value: Any) -> bytes | type[Exception]:
    try:
        return TypeAdapter(response_model).dump_json(value, warnings=False)
    except Exception as exc:
        return type(exc)


def writer(response_model: Any) -> Any:
    built = build_fast_dump(response_model)
    assert built is not None, f"no fast writer for {response_model}"
    return built[0]


def check(response_model: Any, value: Any) -> bytes | None:
    """Run the fast writer on `value`; when it answers, its bytes must be Pydantic's."""
    written = writer(response_model)(value)
    if written is not None:
        assert written == pydantic_bytes(response_model, value), value
    return written


@pytest.mark.parametrize("annotation", FIELD_TYPES, ids=repr)
def test_every_value_in_every_field_type_matches_pydantic_or_falls_back(annotation: Any) -> None:
    """Any value in a field of any supported type: the writer's bytes are Pydantic's, or it returns None."""
    model = model_of(annotation)
    answered = 0
    for value in VALUES:
        instance = model.model_construct(f=value, n=1, x=2.0, s="s", b=True)
        for response_model, content in ((list[model], [instance, instance]), (model, instance)):
            answered += check(response_model, content) is not None
    assert answered >= 2  # the fast path really ran (nested and datetime fields accept few of these values)


@pytest.mark.parametrize(
    ("annotation", "value"),
    [(float, 3), (float, True), (float, Count(4)), (float | None, 3), (int, True), (int | None, False)],
    ids=repr,
)
def test_values_pydantic_converts_are_left_to_pydantic(annotation: Any, value: Any) -> None:
    """An int or bool in a float field, or a bool in an int field, is written by Pydantic (orjson would differ)."""
    model = model_of(annotation)
    instance = model.model_construct(f=value, n=1, x=2.0, s="s", b=True)
    assert writer(list[model])([instance]) is None
    assert writer(model)(instance) is None


def test_well_typed_values_are_written_by_the_fast_path() -> None:
    """Validated instances with optional values left at None are answered by orjson, byte for byte."""
    model = model_of(float | None)
    items = [model(f=None if i % 2 else i / 3, n=i, x=i * 0.1, s=f"s{i}", b=i % 3 == 0) for i in range(50)]
    assert check(list[model], items) is not None
    assert check(model, items[1]) is not None


def test_empty_list() -> None:
    """An empty list is written as [] without looking further."""
    assert check(list[model_of(int)], []) == b"[]"


def _floats(count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    bits = [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(count)]
    decimals = [round(rng.uniform(-1e6, 1e6), rng.randint(0, 8)) for _ in range(count)]
    powers = [10.0**e for e in range(-320, 309)] + [2.0**e for e in range(-1074, 1024, 7)]
    return bits + decimals + powers + [sys.float_info.min, sys.float_info.epsilon, 0.1 + 0.2]


def test_float_formatting_matches_pydantic() -> None:
    """Random bit patterns, short decimals and powers of 10 and 2 are formatted as Pydantic formats them."""

    class Reading(BaseModel):
        v: float

    items = [Reading.model_construct(v=v) for v in _floats(20_000, seed=2026)]
    assert check(list[Reading], items) is not None


def test_string_escaping_matches_pydantic() -> None:
    """Every code point outside the surrogates is escaped (or not) as Pydantic does."""

    class Text(BaseModel):
        s: str

    points = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    items = [Text.model_construct(s="".join(points[i : i + 64])) for i in range(0, len(points), 64)]
    assert check(list[Text], items) is not None


def test_lone_surrogates_are_left_to_pydantic() -> None:
    """A string orjson cannot encode makes the writer step aside, so Pydantic's own error is what the app sees."""

    class Text(BaseModel):
        s: str

    assert writer(list[Text])([Text.model_construct(s="\ud800")]) is None


def test_instances_that_pydantic_would_write_differently_are_left_to_it() -> None:
    """Subclass instances, hand-added attributes, missing fields and non-list containers fall back."""

    class User(BaseModel):
        id: int
        name: str

    class Admin(User):
        level: int = 1

    write_list, write_one = writer(list[User]), writer(User)
    extra = User(id=1, name="a")
    object.__setattr__(extra, "hidden", 5)
    missing = User.model_construct(name="a")
    for odd in (Admin(id=1, name="a"), extra, missing):
        assert write_list([User(id=2, name="b"), odd]) is None
        assert write_one(odd) is None
    for odd in (Admin(id=1, name="a"), extra):  # why: Pydantic writes only User's fields, orjson all of __dict__
        assert orjson.dumps(odd.__dict__) != pydantic_bytes(User, odd)
    assert write_list((User(id=1, name="a"),)) is None
    assert write_list(User(id=1, name="a")) is None
    assert write_one({"id": 1, "name": "a"}) is None


class _Nested(BaseModel):
    inner: Inner


class _Aliased(BaseModel):
    a: int = Field(serialization_alias="A")


class _Excluded(BaseModel):
    a: int
    secret: str = Field(exclude=True)


class _FieldSerializer(BaseModel):
    a: int

    @field_serializer("a")
    def _twice(self, value: int) -> int:
        return value * 2


class _ModelSerializer(BaseModel):
    a: int

    @model_serializer
    def _custom(self) -> dict[str, Any]:
        return {"custom": self.a}


class _Computed(BaseModel):
    a: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def double(self) -> int:
        return self.a * 2


class _Cached(BaseModel):
    a: int

    @functools.cached_property
    def expensive(self) -> int:
        return self.a


class _ListField(BaseModel):
    tags: list[int]


class _Annotated(BaseModel):
    a: Annotated[int, PlainSerializer(lambda v: str(v))]


class _Root(RootModel[int]):
    pass


with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # `json_encoders` is deprecated, and still honoured
    _Encoded = model_of(float, json_encoders={float: lambda value: round(value, 1)})


@pytest.mark.parametrize(
    "model",
    [
        _Aliased, _Excluded, _FieldSerializer, _ModelSerializer, _Computed, _Cached, _ListField,
        _Annotated, _Root, model_of(int, extra="allow"), model_of(float, ser_json_inf_nan="constants"),
        _Encoded,
        model_of(datetime.timedelta), model_of(Color), model_of(datetime.datetime, ser_json_temporal="seconds"),
        model_of(list[Inner | None]), model_of(_Aliased), model_of(list[_Computed]), model_of(int | str),
        model_of(uuid.UUID),
    ],
    ids=lambda model: model.__name__,
)
def test_models_outside_the_fast_path_get_no_writer(model: type[BaseModel]) -> None:
    """Aliases, exclusions, custom or computed serialization, extras and other field types (in nested models
    too): no writer."""
    assert build_fast_dump(model) is None
    assert build_fast_dump(list[model]) is None


def test_only_models_and_lists_of_models_get_a_writer() -> None:
    """Other response models (dicts, unions, tuples of models, plain types) are Pydantic's."""
    for response_model in (dict[str, Inner], Inner | None, tuple[Inner, ...], int, list[int], None):
        assert build_fast_dump(response_model) is None
    assert build_fast_dump(list[Inner]) is not None


def test_models_not_fully_defined_get_no_writer() -> None:
    """A model whose annotations cannot be resolved is left to Pydantic, which reports it."""

    class Later(BaseModel):
        other: Undefined  # type: ignore[name-defined]  # noqa: F821

    assert build_fast_dump(Later) is None


def test_deferred_models_keep_the_fast_path() -> None:
    """`defer_build=True` models get their writer once the schema is built on first use."""
    model = model_of(int, defer_build=True)
    instance = model(f=1, n=2, x=3.0, s="s", b=False)
    assert check(list[model], [instance]) is not None


def test_validators_and_constraints_keep_the_fast_path() -> None:
    """Field validators, constraints, defaults and frozen fields do not change what is written."""

    class Scored(BaseModel):
        model_config = ConfigDict(frozen=True, str_strip_whitespace=True)
        score: Annotated[float, Field(ge=0), AfterValidator(lambda v: v)] = 0.5
        name: str = Field(min_length=1, validation_alias="Name")

        @field_validator("name")
        @classmethod
        def _title(cls, value: str) -> str:
            return value.title()

    items = [Scored(score=i, Name=" ann ") for i in range(3)]
    assert check(list[Scored], items) is not None


def test_revalidating_models_are_not_trusted_before_validation() -> None:
    """A model that revalidates instances only has its validated result written fast."""
    assert build_fast_dump(model_of(int))[1] is True  # type: ignore[index]
    assert build_fast_dump(model_of(int, revalidate_instances="always"))[1] is False  # type: ignore[index]

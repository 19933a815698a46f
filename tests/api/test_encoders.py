"""Differential tests: `vivace.encoders.jsonable_encoder` against FastAPI's, input by input.

Each case builds its input with a factory (generators can be consumed only once), runs both
encoders with the same options, and requires the same result (same types, NaN equal to NaN)
or the same error.
"""

import dataclasses
import datetime
import enum
import math
import re
import subprocess
import sys
import uuid
import warnings
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from decimal import Decimal
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import fastapi.encoders
import pydantic
import pytest
from pydantic import (
    AnyUrl,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    NameEmail,
    RootModel,
    SecretBytes,
    SecretStr,
)
from pydantic_core import PydanticUndefined, Url

import vivace.encoders
from vivace.encoders import (
    ENCODERS_BY_TYPE,
    decimal_encoder,
    encoders_by_class_tuples,
    generate_encoders_by_class_tuples,
    isoformat,
    jsonable_encoder,
)

# ---- sample types -------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    PAIR = (1, 2)


class Level(enum.IntEnum):
    LOW = 1


class Mode(enum.StrEnum):
    FAST = "fast"


class Perm(enum.Flag):
    R = 4
    W = 2


class Tag(str):
    """A str subclass: returned as it is."""


class Stamp(datetime.datetime):
    """A datetime subclass: found through the isinstance groups."""


class Blob(bytes):
    """A bytes subclass."""


@dataclasses.dataclass
class Point:
    x: int
    y: int | None = None


@dataclasses.dataclass
class Shape:
    name: str
    points: list[Point]
    _sa_state: str = "hidden"
    when: datetime.date = datetime.date(2024, 1, 2)


class Item(BaseModel):
    name: str
    price: float = 1.0
    tags: list[str] = []
    note: str | None = None
    alias_field: int = Field(default=0, alias="aliasField")
    when: datetime.datetime | None = None
    extra: dict[str, Any] = {}

    model_config = ConfigDict(populate_by_name=True)


class Order(BaseModel):
    items: list[Item]
    owner: Item | None = None
    ids: dict[int, str] = {}


class Opaque:
    """No dict(), but vars() works."""

    def __init__(self) -> None:
        self.a = 1
        self.b = Point(1, 2)
        self._sa_instance_state = "state"


class Pairs:
    """Iterable of pairs: dict(obj) works."""

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter([("k", Decimal("2.5")), ("n", None)])


class Slotted:
    """Neither dict(obj) nor vars(obj) works."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 1


class Weird:
    """Not JSON-able on its own; used with custom encoders and as an arbitrary model field."""

    def __init__(self, n: int) -> None:
        self.n = n


class HoldsWeird(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    w: Weird


class Secrets(BaseModel):
    s: SecretStr
    b: SecretBytes


def numbers() -> Iterator[int]:
    yield from (1, 2, 3)


def pydantic_color() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydantic.color import Color as PydanticColor

        return PydanticColor("red")


def pydantic_v1_model() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydantic import v1

        class Legacy(v1.BaseModel):
            a: int = 1

        return Legacy()


# ---- the comparison -----------------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Structural equality that also compares types (1 != 1.0 != True) and treats NaN as NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def outcome(encoder: Callable[..., Any], make: Callable[[], Any], options: dict[str, Any]) -> Any:
    try:
        return ("ok", encoder(make(), **options))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


CASES: list[tuple[str, Callable[[], Any], dict[str, Any]]] = [
    # JSON scalars come back as they are
    ("none", lambda: None, {}),
    ("bool", lambda: True, {}),
    ("int", lambda: 42, {}),
    ("big-int", lambda: 2**70, {}),
    ("float", lambda: 1.5e-7, {}),
    ("nan", lambda: float("nan"), {}),
    ("inf", lambda: float("-inf"), {}),
    ("str", lambda: "héllo", {}),
    ("str-subclass", lambda: Tag("t"), {}),
    # ENCODERS_BY_TYPE, exact types
    ("bytes", lambda: b"abc", {}),
    ("date", lambda: datetime.date(2024, 2, 29), {}),
    ("datetime-naive", lambda: datetime.datetime(2024, 1, 2, 3, 4, 5, 6), {}),
    ("datetime-aware", lambda: datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC), {}),
    ("time", lambda: datetime.time(1, 2, 3), {}),
    ("timedelta", lambda: datetime.timedelta(days=1, microseconds=5), {}),
    ("decimal-int", lambda: Decimal("3"), {}),
    ("decimal-exp", lambda: Decimal("1E+2"), {}),
    ("decimal-frac", lambda: Decimal("1.0"), {}),
    ("decimal-nan", lambda: Decimal("NaN"), {}),
    ("decimal-inf", lambda: Decimal("-Infinity"), {}),
    ("frozenset", lambda: frozenset({3}), {}),
    ("set", lambda: {1}, {}),
    ("deque", lambda: deque([1, Decimal("2.5")]), {}),
    ("generator", numbers, {}),
    ("tuple", lambda: (1, "a", None), {}),
    ("ipv4", lambda: IPv4Address("10.0.0.1"), {}),
    ("ipv4-iface", lambda: IPv4Interface("10.0.0.1/24"), {}),
    ("ipv4-net", lambda: IPv4Network("10.0.0.0/8"), {}),
    ("ipv6", lambda: IPv6Address("::1"), {}),
    ("ipv6-iface", lambda: IPv6Interface("::1/64"), {}),
    ("ipv6-net", lambda: IPv6Network("::/64"), {}),
    ("name-email", lambda: NameEmail("Ann", "ann@example.com"), {}),
    ("path", lambda: Path("/tmp/x"), {}),
    ("pure-posix-path", lambda: PurePosixPath("a/b"), {}),
    ("pure-windows-path", lambda: PureWindowsPath("C:/a"), {}),
    ("pattern", lambda: re.compile(r"^a+\d$"), {}),
    ("secret-str", lambda: SecretStr("pw"), {}),
    ("secret-bytes", lambda: SecretBytes(b"pw"), {}),
    ("uuid", lambda: uuid.UUID(int=5), {}),
    ("core-url", lambda: Url("https://example.com/a?b=1"), {}),
    ("any-url", lambda: AnyUrl("https://example.com"), {}),
    ("http-url", lambda: HttpUrl("https://example.com/x"), {}),
    ("pydantic-color", pydantic_color, {}),
    ("undefined", lambda: PydanticUndefined, {}),
    # ENCODERS_BY_TYPE through isinstance
    ("datetime-subclass", lambda: Stamp(2024, 5, 6), {}),
    ("bytes-subclass", lambda: Blob(b"x"), {}),
    # enums
    ("enum", lambda: Color.RED, {}),
    ("enum-tuple-value", lambda: Color.PAIR, {}),
    ("int-enum", lambda: Level.LOW, {}),
    ("str-enum", lambda: Mode.FAST, {}),
    ("flag", lambda: Perm.R | Perm.W, {}),
    # dicts
    ("dict-keys", lambda: {1: "a", Color.RED: Level.LOW, Path("p"): None, 2.5: b"x", None: 1}, {}),
    ("dict-sa", lambda: {"_sa_instance_state": 1, "_saved": 2, "ok": 3}, {}),
    ("dict-sa-unsafe", lambda: {"_sa_instance_state": 1, "ok": 3}, {"sqlalchemy_safe": False}),
    ("dict-exclude-none", lambda: {"a": None, "b": {"c": None, "d": 1}}, {"exclude_none": True}),
    ("dict-include", lambda: {"a": 1, "b": 2, "c": {"a": 3, "b": 4}}, {"include": {"a", "c"}}),
    ("dict-include-list", lambda: {"a": 1, "b": 2}, {"include": ["b"]}),
    ("dict-include-str", lambda: {"a": 1, "b": 2, "ab": 3}, {"include": "ab"}),
    ("dict-include-dict", lambda: {"a": 1, "b": 2}, {"include": {"a": True}}),
    ("dict-exclude", lambda: {"a": 1, "b": 2}, {"exclude": {"a"}}),
    ("dict-include-exclude", lambda: {"a": 1, "b": 2, "c": 3}, {"include": {"a", "b"}, "exclude": {"b"}}),
    ("dict-empty-include", lambda: {"a": 1}, {"include": set()}),
    ("ordered-dict", lambda: OrderedDict([("z", 1), ("a", 2)]), {}),
    ("dict-tuple-key", lambda: {(1, 2): "x"}, {}),
    # sequences carry include/exclude down to their items
    ("list-of-dicts-include", lambda: [{"a": 1, "b": 2}, {"a": 3}], {"include": {"a"}}),
    ("nested-sequences", lambda: [(1, {2}), frozenset({"x"}), deque([None])], {}),
    # dataclasses
    ("dataclass", lambda: Point(1), {}),
    ("dataclass-nested", lambda: Shape("s", [Point(1, 2)]), {}),
    ("dataclass-exclude-none", lambda: Point(1), {"exclude_none": True}),
    ("dataclass-include", lambda: Shape("s", []), {"include": {"name"}}),
    # Pydantic models
    ("model", lambda: Item(name="a", when=datetime.datetime(2024, 1, 1)), {}),
    ("model-by-alias-off", lambda: Item(name="a"), {"by_alias": False}),
    ("model-exclude-unset", lambda: Item(name="a", note=None), {"exclude_unset": True}),
    ("model-exclude-defaults", lambda: Item(name="a", price=1.0, tags=["t"]), {"exclude_defaults": True}),
    ("model-exclude-none", lambda: Item(name="a"), {"exclude_none": True}),
    ("model-include-set", lambda: Item(name="a"), {"include": {"name", "price"}}),
    ("model-include-list", lambda: Item(name="a"), {"include": ["name"]}),
    ("model-exclude-dict", lambda: Order(items=[Item(name="a")]), {"exclude": {"items": {0: {"tags"}}}}),
    ("model-nested", lambda: Order(items=[Item(name="a")], owner=Item(name="b"), ids={1: "x"}), {}),
    ("model-sa-keys-in-dict-field", lambda: Item(name="a", extra={"_sa_x": 1, "k": None}), {}),
    ("model-exclude-none-dict-field", lambda: Item(name="a", extra={"k": None}), {"exclude_none": True}),
    ("model-in-list", lambda: [Item(name="a"), Item(name="b")], {"exclude": {"tags"}}),
    ("model-in-dict", lambda: {"item": Item(name="a")}, {}),
    ("root-model", lambda: RootModel[list[int]]([1, 2]), {}),
    ("model-secrets", lambda: Secrets(s=SecretStr("x"), b=SecretBytes(b"y")), {}),
    ("model-arbitrary-field", lambda: HoldsWeird(w=Weird(1)), {}),
    # the dict(obj) / vars(obj) fallbacks
    ("vars-fallback", Opaque, {}),
    ("vars-fallback-sa-unsafe", Opaque, {"sqlalchemy_safe": False}),
    ("dict-fallback", Pairs, {}),
    ("dict-fallback-include", Pairs, {"include": {"k"}}),
    ("no-fallback", Slotted, {}),
    ("bytearray", lambda: bytearray(b"ab"), {}),
    ("bare-object", object, {}),
    # custom encoders win, by exact type then by isinstance, everywhere except inside models
    ("custom-exact", lambda: Weird(3), {"custom_encoder": {Weird: lambda w: w.n * 2}}),
    ("custom-isinstance", lambda: Stamp(2024, 1, 1), {"custom_encoder": {datetime.date: lambda d: d.year}}),
    ("custom-overrides-builtin", lambda: {"d": Decimal("1.5")}, {"custom_encoder": {Decimal: str}}),
    ("custom-nested-in-list", lambda: [Weird(1), (Weird(2),)], {"custom_encoder": {Weird: lambda w: w.n}}),
    ("custom-on-dict-keys", lambda: {Weird(1): 1}, {"custom_encoder": {Weird: lambda w: f"w{w.n}"}}),
    ("custom-not-inside-model", lambda: Item(name="a"), {"custom_encoder": {str: lambda s: s.upper()}}),
    ("custom-on-model-itself", lambda: Item(name="a"), {"custom_encoder": {Item: lambda m: m.name}}),
    ("custom-in-dataclass", lambda: Shape("s", []), {"custom_encoder": {str: lambda s: s * 2}}),
    # containers of the converted types, and options that meet them
    ("generator-of-models", lambda: (Item(name=n) for n in "ab"), {"exclude": {"tags"}}),
    ("set-of-enums", lambda: {Color.RED}, {}),
    ("frozenset-of-dates", lambda: frozenset({datetime.date(2024, 1, 1)}), {}),
    ("deque-of-paths", lambda: deque([Path("a"), PurePosixPath("b")]), {}),
    ("tuple-of-secrets", lambda: (SecretStr("x"), SecretBytes(b"y")), {}),
    ("dict-of-models-by-alias-off", lambda: {"i": Item(name="a")}, {"by_alias": False}),
    ("dict-of-dataclasses-exclude-none", lambda: {"p": Point(1), "q": None}, {"exclude_none": True}),
    ("dict-of-lists-include", lambda: {"a": [{"a": 1, "b": 2}], "b": 1}, {"include": {"a"}}),
    ("model-include-nested-dict", lambda: Order(items=[Item(name="a")]), {"include": {"items": {0: {"name"}}}}),
    ("custom-for-enum", lambda: [Color.RED, Level.LOW], {"custom_encoder": {enum.Enum: lambda e: e.name}}),
    ("custom-for-dict-subclass", lambda: OrderedDict(a=1), {"custom_encoder": {dict: lambda d: sorted(d)}}),
    ("custom-and-sa-keys", lambda: {"_sa_k": Weird(1)}, {"custom_encoder": {Weird: str}, "sqlalchemy_safe": False}),
    # bad options
    ("include-not-iterable", lambda: {"a": 1}, {"include": 5}),
    ("exclude-not-iterable", lambda: 1, {"exclude": 5}),
    ("include-bad-but-custom-wins", lambda: Weird(1), {"include": 5, "custom_encoder": {Weird: str}}),
]


@pytest.mark.parametrize(("make", "options"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_same_result_as_fastapi(make: Callable[[], Any], options: dict[str, Any]) -> None:
    """jsonable_encoder gives FastAPI's exact result, or raises FastAPI's error, for this input."""
    ours = outcome(jsonable_encoder, make, options)
    theirs = outcome(fastapi.encoders.jsonable_encoder, make, options)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert same(ours[1], theirs[1]), (ours[1], theirs[1])
    else:
        assert ours == theirs


def test_dataclass_class_is_rejected_like_fastapi() -> None:
    """A dataclass *class* (not an instance) fails with AssertionError, as in FastAPI."""
    with pytest.raises(AssertionError):
        jsonable_encoder(Point)
    with pytest.raises(AssertionError):
        fastapi.encoders.jsonable_encoder(Point)


def test_pydantic_v1_model_is_rejected() -> None:
    """A pydantic.v1 model raises PydanticV1NotSupportedError (FastAPI raises its own class)."""
    from fastapi.exceptions import PydanticV1NotSupportedError as FastAPIV1Error

    from vivace.exceptions import PydanticV1NotSupportedError

    model = pydantic_v1_model()
    with pytest.raises(PydanticV1NotSupportedError, match="Pydantic v1"):
        jsonable_encoder(model)
    with pytest.raises(FastAPIV1Error):
        fastapi.encoders.jsonable_encoder(model)


def test_fallback_error_lists_both_failures() -> None:
    """When dict() and vars() both fail, the ValueError carries both exceptions, the last as cause."""
    with pytest.raises(ValueError) as info:
        jsonable_encoder(Slotted())
    (errors,) = info.value.args
    assert [type(e) for e in errors] == [TypeError, TypeError]
    assert info.value.__cause__ is errors[1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("3"), 3), (Decimal("1E+2"), 100), (Decimal("1.0"), 1.0), (Decimal("-0.5"), -0.5)],
)
def test_decimal_encoder(value: Decimal, expected: int | float) -> None:
    """decimal_encoder gives an int when there is no fractional exponent, else a float."""
    result = decimal_encoder(value)
    assert result == expected
    assert type(result) is type(fastapi.encoders.decimal_encoder(value))


def test_isoformat() -> None:
    """isoformat returns the object's ISO 8601 text."""
    assert isoformat(datetime.time(1, 2)) == "01:02:00"
    assert isoformat(datetime.date(2024, 1, 2)) == fastapi.encoders.isoformat(datetime.date(2024, 1, 2))


def _real_types(types: Any) -> set[type]:
    """Types of an encoder table, without FastAPI's stand-in class for the optional extra Color."""
    return {t for t in types if t.__module__ != "fastapi.encoders"}


def test_encoder_table_covers_fastapi_types() -> None:
    """ENCODERS_BY_TYPE has exactly the types of FastAPI's table (the optional extra Color aside)."""
    assert _real_types(ENCODERS_BY_TYPE) == _real_types(fastapi.encoders.ENCODERS_BY_TYPE)


def test_isinstance_groups_match_fastapi() -> None:
    """Subclasses are matched against the same groups of types, tried in the same order, as in FastAPI."""
    ours = [_real_types(types) for types in encoders_by_class_tuples.values()]
    theirs = [_real_types(types) for types in fastapi.encoders.encoders_by_class_tuples.values()]
    assert ours == theirs


def test_class_tuples_group_by_encoder_in_table_order() -> None:
    """encoders_by_class_tuples groups types by encoder, in the order of ENCODERS_BY_TYPE."""
    grouped = generate_encoders_by_class_tuples({int: str, bytes: repr, float: str})
    assert grouped == {str: (int, float), repr: (bytes,)}
    assert list(grouped) == [str, repr]
    assert encoders_by_class_tuples[isoformat] == (datetime.date, datetime.datetime, datetime.time)
    # a defaultdict, as in FastAPI, so that users can append to a group
    grouped[len] += (list,)
    assert grouped[len] == (list,)


def test_user_registered_exact_type_encoder_is_used() -> None:
    """Adding a type to ENCODERS_BY_TYPE at runtime makes jsonable_encoder use it."""
    ENCODERS_BY_TYPE[Weird] = lambda w: {"weird": w.n}
    try:
        assert jsonable_encoder([Weird(7)]) == [{"weird": 7}]
    finally:
        del ENCODERS_BY_TYPE[Weird]


def test_model_dump_is_used_for_pydantic_models() -> None:
    """Models go through model_dump(mode='json'), so serializers and computed fields apply."""

    class Priced(BaseModel):
        cents: int

        @pydantic.computed_field  # type: ignore[prop-decorator]
        @property
        def euros(self) -> float:
            return self.cents / 100

    assert jsonable_encoder(Priced(cents=150)) == {"cents": 150, "euros": 1.5}
    assert vivace.encoders.jsonable_encoder is jsonable_encoder


def _run(code: str) -> str:
    """Run `code` in a fresh interpreter (a module's import-time state is per process); its output."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return done.stdout.strip()


def test_tables_load_on_first_use_not_at_import() -> None:
    """`import vivace` loads neither the tables nor the pydantic modules they name; a conversion that needs
    them builds them, and then the module attributes are those tables."""
    out = _run(
        "import sys, vivace.encoders as e\n"
        "print('pydantic.networks' in sys.modules, 'ENCODERS_BY_TYPE' in vars(e))\n"
        "from pydantic import SecretStr\n"
        "print(e.jsonable_encoder([SecretStr('x'), b'y']), 'ENCODERS_BY_TYPE' in vars(e))\n"
        "print(e.ENCODERS_BY_TYPE is vars(e)['ENCODERS_BY_TYPE'], e.Color is __import__('pydantic.color').color.Color)"
    )
    assert out.splitlines() == ["False False", "['**********', 'y'] True", "True True"]


def test_a_table_assigned_before_first_use_is_the_one_used() -> None:
    """An application that replaces ENCODERS_BY_TYPE before any conversion gets its own table used."""
    out = _run(
        "import vivace.encoders as e\n"
        "e.ENCODERS_BY_TYPE = {complex: lambda c: [c.real, c.imag]}\n"
        "print(e.jsonable_encoder({'c': 1 + 2j}), e.encoders_by_class_tuples)"
    )
    assert out.startswith("{'c': [1.0, 2.0]} defaultdict(<class 'tuple'>, {<function <lambda>")

"""Shape keys: equal exactly when two declarations validate alike, so routes can share validators safely."""

from typing import Annotated, Literal

from annotated_types import Ge, Le
from pydantic import BeforeValidator

from vivace import Path, Query
from vivace._core.arguments import build_arguments
from vivace._core.plan import ArgSource
from vivace._core.shapes import shape_key
from vivace._core.validate import FieldSpec, _location_model


def test_equal_constraints_built_separately_have_equal_keys() -> None:
    assert shape_key(Annotated[int, Ge(1)]) == shape_key(Annotated[int, Ge(1)])
    assert hash(shape_key(Annotated[int, Ge(1)])) == hash(shape_key(Annotated[int, Ge(1)]))


def test_values_python_calls_equal_but_of_other_types_differ() -> None:
    assert shape_key(1) != shape_key(True)
    assert shape_key(1) != shape_key(1.0)
    assert shape_key(Le(5)) != shape_key(Le(5.0))
    assert shape_key(Literal[1]) != shape_key(Literal[True])


def test_union_and_literal_order_matters() -> None:
    assert shape_key(int | str) != shape_key(str | int)
    assert shape_key(Literal["a", "b"]) != shape_key(Literal["b", "a"])


def test_unknown_objects_and_mutable_values_compare_by_identity() -> None:
    first, second = [1], [1]
    assert shape_key(first) == shape_key(first)
    assert shape_key(first) != shape_key(second)

    def strip(value: str) -> str:
        return value.strip()

    def other(value: str) -> str:
        return value.strip()

    assert shape_key(Annotated[str, BeforeValidator(strip)]) == shape_key(Annotated[str, BeforeValidator(strip)])
    assert shape_key(Annotated[str, BeforeValidator(strip)]) != shape_key(Annotated[str, BeforeValidator(other)])


def test_parameters_of_the_same_shape_share_one_model() -> None:
    """Descriptions and examples only matter to OpenAPI; a different default or constraint gets its own model."""
    described = FieldSpec("v1", "item_id", int, Path(ge=1, description="the item"), False)
    plain = FieldSpec("v1", "item_id", int, Path(ge=1, examples=[3]), False)
    stricter = FieldSpec("v1", "item_id", int, Path(ge=2), False)
    assert _location_model("PathParams", [described]) is _location_model("PathParams", [plain])
    assert _location_model("PathParams", [described]) is not _location_model("PathParams", [stricter])
    one = FieldSpec("v2", "x", int | bool, Query(1), False)
    true = FieldSpec("v2", "x", int | bool, Query(True), False)
    assert _location_model("QueryParams", [one]) is not _location_model("QueryParams", [true])
    assert _location_model("QueryParams", [true]).model_validate({}).__dict__ == {"v2": True}


def test_argument_builders_sharing_code_keep_their_own_constants() -> None:
    """Two steps with the same argument layout get one compiled builder each bound to its own constants."""
    first = build_arguments([("a", ArgSource.constant, "one"), ("b", ArgSource.value, "v1")])
    second = build_arguments([("a", ArgSource.constant, "two"), ("b", ArgSource.value, "v1")])

    class Context:
        values = {"v1": 5}
        results: list[object] = []

    assert first(Context()) == {"a": "one", "b": 5}
    assert second(Context()) == {"a": "two", "b": 5}
    assert first.__code__ is second.__code__


def test_pattern_constraints_compare_by_value() -> None:
    """`Query(pattern=...)` metadata (state in `__dict__`, empty `__slots__` inherited) is keyed by its pattern."""
    assert shape_key(Query(pattern="^a$").metadata[0]) == shape_key(Query(pattern="^a$").metadata[0])
    assert shape_key(Query(pattern="^a$").metadata[0]) != shape_key(Query(pattern="^b$").metadata[0])

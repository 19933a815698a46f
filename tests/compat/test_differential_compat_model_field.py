"""`_compat.ModelField` and `utils.create_model_field`: the same attributes, validation results and dumps as
FastAPI 0.165's for the same declarations (extensions build route body and response fields with them)."""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field
from pydantic_core import PydanticUndefined

FRAMEWORKS = ("vivace", "fastapi")


class Item(BaseModel):
    a: int
    b: str = "x"
    c: int | None = None


def _utils(name: str) -> Any:
    return importlib.import_module(f"{name}.utils")


def _params(name: str) -> Any:
    return importlib.import_module(name)


def _each(build: Any) -> dict[str, Any]:
    """Run `build(framework name)` on both frameworks and return both results."""
    return {name: build(name) for name in FRAMEWORKS}


def _same(build: Any) -> Any:
    results = _each(build)
    assert results["vivace"] == results["fastapi"]
    return results["vivace"]


def _attributes(field: Any) -> tuple[Any, ...]:
    return (
        field.name, field.alias, field.mode, field.default, field.get_default(),
        field.validation_alias, field.serialization_alias, field.config,
    )


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("item", Item), {}),
        (("q", int | None), {"default": None, "alias": "Q"}),
        (("n", int), {"default": 3}),
        (("s", str), {"mode": "serialization"}),
        (("t", list[int]), {"default": []}),
    ],
)
def test_create_model_field_attributes_match(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """name, alias, mode, default, get_default(), aliases and config read the same."""
    _same(lambda name: _attributes(_utils(name).create_model_field(*args, **kwargs)))


@pytest.mark.parametrize(
    ("value", "loc"),
    [
        ({"a": "1"}, ()),
        ({"a": "z"}, ("body",)),
        ({"a": "z", "c": "q"}, ("body", "item")),
        ({}, ("body",)),
        (Item(a=2), ()),
        (b'{"a": 1}', ()),
        ("text", ("body",)),
    ],
)
def test_validate_returns_the_same_value_and_errors(value: Any, loc: tuple[str, ...]) -> None:
    """validate() gives (value, []) or (None, errors with loc prefixed) exactly as FastAPI's does."""
    _same(lambda name: _utils(name).create_model_field("item", Item).validate(value, {}, loc=loc))


def test_given_field_info_is_kept_and_its_annotation_is_the_type() -> None:
    """A field_info passed in is used as it is: its own annotation, not type_, decides validation."""
    def build(name: str) -> Any:
        info = _params(name).Query(default_factory=list)
        field = _utils(name).create_model_field("r", list[int], field_info=info)
        return field.field_info is info, field.default, field.validate(["1"], loc=("query", "r"))

    _same(build)


def test_field_info_constraints_apply() -> None:
    """Constraints and aliases in a FieldInfo given through Annotated apply to validation."""
    def build(name: str) -> Any:
        field = _utils(name).create_model_field("n", Annotated[int, Field(gt=3)])
        return field.validate(2, loc=("query", "n")), field.validate("7")

    _same(build)


@pytest.mark.parametrize("mode", ["json", "python"])
def test_serialize_and_serialize_json_match(mode: str) -> None:
    """serialize() and serialize_json() dump with the same options the same way."""
    def build(name: str) -> Any:
        field = _utils(name).create_model_field("item", Item, mode="serialization")
        item = Item(a=1, c=None)
        return (
            field.serialize(item, mode=mode),
            field.serialize(item, mode=mode, exclude_none=True),
            field.serialize(item, mode=mode, exclude_unset=True),
            field.serialize(item, mode=mode, include={"a"}),
            field.serialize_json(item, exclude={"b"}),
        )

    _same(build)


def test_invalid_type_raises_the_same_error() -> None:
    """A type Pydantic cannot handle raises FastAPIError with FastAPI's message."""
    class Opaque:
        pass

    def build(name: str) -> Any:
        with pytest.raises(Exception) as info:
            _utils(name).create_model_field("t", Opaque)
        return type(info.value).__name__, str(info.value)

    _same(build)


def test_fields_hash_and_compare_by_identity() -> None:
    """Two fields built alike are different objects and may both sit in a set."""
    def build(name: str) -> Any:
        first = _utils(name).create_model_field("s", int)
        second = _utils(name).create_model_field("s", int)
        return first == first, first == second, len({first, second})

    _same(build)


def test_model_field_is_importable_from_compat_and_required_default_is_undefined() -> None:
    """`_compat.ModelField` is the class create_model_field builds; a required field's default is Undefined."""
    from vivace._compat import ModelField, Undefined
    from vivace.utils import create_model_field

    field = create_model_field("item", Item)
    assert isinstance(field, ModelField)
    assert field.get_default() is Undefined is PydanticUndefined
    assert field.required and field.type_ is Item

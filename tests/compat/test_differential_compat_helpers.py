"""`_compat` annotation helpers, `AsyncExitStackMiddleware`, `datastructures._Unset` and `encoders.PyExtraColor`
answer as FastAPI 0.165's do."""

import asyncio
import importlib
from collections import deque
from collections.abc import Sequence
from typing import Annotated, Any

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from starlette.datastructures import UploadFile

FRAMEWORKS = ("vivace", "fastapi")


class Item(BaseModel):
    a: int


def _same(build: Any) -> Any:
    results = {name: build(name) for name in FRAMEWORKS}
    assert results["vivace"] == results["fastapi"]
    return results["vivace"]


ANNOTATIONS = [
    int, str, bytes, int | None, list[int], list[int] | None, set[str], tuple[int, ...], deque[int], Sequence[int],
    dict[str, int], Item, list[Item], Item | None, UploadFile, UploadFile | None, list[UploadFile], bytes | None,
    list[bytes], Annotated[int, "meta"], Annotated[list[str], "meta"], int | list[int], str | Item, ...,
]
HELPERS = [
    "field_annotation_is_scalar",
    "field_annotation_is_sequence",
    "field_annotation_is_scalar_sequence",
    "is_bytes_or_nonable_bytes_annotation",
    "is_bytes_sequence_annotation",
    "is_uploadfile_or_nonable_uploadfile_annotation",
    "is_uploadfile_sequence_annotation",
]


@pytest.mark.parametrize("helper", HELPERS)
def test_annotation_helpers_answer_the_same(helper: str) -> None:
    """Each annotation helper gives FastAPI's answer for every annotation in the table."""
    def build(name: str) -> Any:
        function = getattr(importlib.import_module(f"{name}._compat"), helper)
        return [function(annotation) for annotation in ANNOTATIONS]

    _same(build)


@pytest.mark.parametrize("value", [[1], "s", (1,), {1}, frozenset(), deque(), b"b", {"a": 1}, 3])
def test_value_is_sequence(value: Any) -> None:
    """value_is_sequence: lists, tuples, sets and deques, never strings or mappings."""
    _same(lambda name: importlib.import_module(f"{name}._compat").value_is_sequence(value))


def test_scalar_field_and_missing_error() -> None:
    """is_scalar_field on built fields, and the missing-field error entry."""
    def build(name: str) -> Any:
        compat = importlib.import_module(f"{name}._compat")
        create = importlib.import_module(f"{name}.utils").create_model_field
        body = importlib.import_module(name).Body
        fields = [create("a", int), create("b", list[int]), create("c", Item), create("d", int, field_info=body())]
        return [compat.is_scalar_field(f) for f in fields], compat.get_missing_field_error(("body", "x"))

    _same(build)


def test_names_and_constants() -> None:
    """RequiredParam, Undefined, Url, sequence_types and PydanticSchemaGenerationError are the same objects."""
    def build(name: str) -> Any:
        compat = importlib.import_module(f"{name}._compat")
        return (
            compat.RequiredParam, compat.Undefined, compat.Url, compat.PydanticSchemaGenerationError,
            set(compat.sequence_types), compat.with_info_plain_validator_function,
        )

    _same(build)


def test_create_body_model_and_cached_model_fields() -> None:
    """create_body_model makes a model of the fields; get_cached_model_fields lists a model's fields."""
    def build(name: str) -> Any:
        compat = importlib.import_module(f"{name}._compat")
        create = importlib.import_module(f"{name}.utils").create_model_field
        model = compat.create_body_model(fields=[create("a", int), create("b", str, default="x")], model_name="B")
        fields = compat.get_cached_model_fields(Item)
        again = compat.get_cached_model_fields(Item)
        return model.model_json_schema(), [(f.name, f.alias, f.mode) for f in fields], fields is again

    _same(build)


def test_copy_field_info_sets_the_annotation_and_leaves_the_original() -> None:
    """copy_field_info returns a new FieldInfo for the annotation; the original keeps its own."""
    def build(name: str) -> Any:
        compat = importlib.import_module(f"{name}._compat")
        original = FieldInfo(annotation=int, default=3)
        copied = compat.copy_field_info(field_info=original, annotation=str)
        return copied is original, copied.annotation, copied.default, original.annotation

    _same(build)


def test_async_exit_stack_middleware_closes_the_stack_after_the_app() -> None:
    """The stack is in the scope under FastAPI's key (or a given one) and closes after the app, also on error."""
    def build(name: str) -> Any:
        middleware = importlib.import_module(f"{name}.middleware.asyncexitstack").AsyncExitStackMiddleware
        log: list[str] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            scope[next(k for k in scope if k.endswith("astack"))].callback(log.append, "closed")
            log.append("app")
            if scope.get("fail"):
                raise ValueError("boom")

        asyncio.run(middleware(app)({"type": "http"}, None, None))
        asyncio.run(middleware(app, context_name="own_astack")({"type": "http"}, None, None))
        with pytest.raises(ValueError, match="boom"):
            asyncio.run(middleware(app)({"type": "http", "fail": True}, None, None))
        return log

    assert _same(build) == ["app", "closed"] * 3


def test_unset_and_py_extra_color() -> None:
    """datastructures._Unset is Default(None); PyExtraColor matches no value without pydantic-extra-types."""
    def build(name: str) -> Any:
        structures = importlib.import_module(f"{name}.datastructures")
        encoders = importlib.import_module(f"{name}.encoders")
        return (
            structures._Unset == structures.Default(None), repr(structures._Unset.value),
            isinstance("red", encoders.PyExtraColor),
        )

    _same(build)

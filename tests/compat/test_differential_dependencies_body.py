"""`request_body_to_args` reads each kind of body field from each kind of parsed body as FastAPI 0.165 does:
which field takes the whole body, which are looked up by key (aliases, `AliasChoices` in order), how form models
and unions of form models read a form or a dict, and what an absent, raw or unreadable body gives."""

import asyncio
import copy
import importlib
import io
from typing import Annotated, Any

import pytest
from pydantic import AliasChoices, BaseModel
from pydantic_core import PydanticUndefined
from starlette.datastructures import FormData, UploadFile

FRAMEWORKS = ("vivace", "fastapi")


class Text(BaseModel):
    text: str | None = None


class First(BaseModel):
    a: int


class Second(BaseModel):
    b: list[int] = []


def _endpoints(fa: Any) -> dict[str, Any]:  # noqa: C901 - one stand-in endpoint per field kind, no branches
    def form_model(text: Annotated[Text, fa.Form()]) -> None: ...
    def form_model_alias(text: Annotated[Text, fa.Form(alias="tx")]) -> None: ...
    def form_model_choices(text: Annotated[Text, fa.Form(validation_alias=AliasChoices("t1", "t2"))]) -> None: ...
    def form_model_required(r: Annotated[First, fa.Form()]) -> None: ...
    def form_model_optional(r: Annotated[First | None, fa.Form()] = None) -> None: ...
    def form_union(u: Annotated[First | Second, fa.Form()]) -> None: ...
    def form_union_optional(u: Annotated[First | Second | None, fa.Form()] = None) -> None: ...
    def form_field(v: str = fa.Form()) -> None: ...
    def form_field_default(v: str = fa.Form("d")) -> None: ...
    def form_field_choices(v: str = fa.Form(validation_alias=AliasChoices("a1", "a2"))) -> None: ...
    def form_field_validation_alias(v: str = fa.Form(validation_alias="vv")) -> None: ...
    def form_list(u: list[int] = fa.Form([])) -> None: ...
    def body_choices(v: str = fa.Body(validation_alias=AliasChoices("a1", "a2"))) -> None: ...
    def body_embedded(v: str = fa.Body(embed=True, validation_alias=AliasChoices("a1", "a2"))) -> None: ...
    def body_two(name: str | None = fa.Body(None), age: int | None = fa.Body(None)) -> None: ...
    def body_required(name: str = fa.Body(), age: int | None = fa.Body(None)) -> None: ...
    def body_default_validated(name: int = fa.Body("x", validate_default=True)) -> None: ...
    def body_model(r: First) -> None: ...
    def file_optional(f: bytes | None = fa.File(None)) -> None: ...

    return {name: value for name, value in locals().items() if name != "fa"}


_BODIES: dict[str, Any] = {
    "none": None,
    "undefined": PydanticUndefined,
    "raw bytes": b"raw",
    "list": [1],
    "string": "x",
    "empty dict": {},
    "nested under names": {"text": {"text": "q"}, "tx": {"text": "t"}, "r": {"a": 1}, "u": {"b": 2}},
    "flat keys": {"text": "q", "a": 1, "b": 2, "v": "s", "name": "n"},
    "alias choices": {"t2": {"text": "q"}, "a2": "z", "a1": "y", "vv": "z", "v": "w"},
    "lists for a union": {"u": {"a": ["1", "2"], "b": "3"}},
    "bad member values": {"r": {"a": "x"}, "u": None},
    "empty strings": {"v": "", "a1": "", "name": ""},
    "form": lambda: FormData([("text", "q"), ("a", "1"), ("b", "2"), ("b", "3"), ("v", "s"), ("vv", "zz")]),
    "form of other keys": lambda: FormData([("x", "1")]),
    "form of empty values": lambda: FormData([("v", ""), ("a", ""), ("text", "")]),
    "form with one list key": lambda: FormData([("b", "2")]),
    "form with a file": lambda: FormData([("f", UploadFile(io.BytesIO(b"abc"), filename="f.txt"))]),
}


def _plain(value: Any) -> Any:
    """The result with uploads replaced by their names (two runs build two upload objects)."""
    if isinstance(value, UploadFile):
        return f"<upload {value.filename}>"
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    return value


def _solve_body(name: str, endpoint: str, body: Any, embed: bool) -> Any:
    fa = importlib.import_module(name)
    utils = importlib.import_module(f"{name}.dependencies.utils")
    node = utils.get_dependant(path="/", call=_endpoints(fa)[endpoint])
    received = body() if callable(body) else body
    return _plain(asyncio.run(utils.request_body_to_args(node.body_params, received, embed)))


@pytest.mark.parametrize("embed", [False, True], ids=["not embedded", "embedded"])
@pytest.mark.parametrize("body", list(_BODIES))
@pytest.mark.parametrize("endpoint", list(_endpoints(importlib.import_module("fastapi"))))
def test_request_body_to_args_reads_each_field_kind_from_each_body_kind(endpoint: str, body: str, embed: bool) -> None:
    """Same values and errors as FastAPI for every field kind, body kind and embedding."""
    results = {name: _solve_body(name, endpoint, _BODIES[body], embed) for name in FRAMEWORKS}
    assert results["vivace"] == results["fastapi"]


@pytest.mark.parametrize("endpoint", ["form_model", "form_model_choices", "form_field", "body_embedded"])
def test_request_body_to_args_looks_a_field_up_under_the_alias_of_its_copied_field_info(endpoint: str) -> None:
    """A copy of a field whose copied `FieldInfo` got another alias is looked up under that alias (versioning
    extensions move a form model's body under a key of their own this way)."""

    def build(name: str) -> Any:
        fa = importlib.import_module(name)
        utils = importlib.import_module(f"{name}.dependencies.utils")
        field = utils.get_dependant(path="/", call=_endpoints(fa)[endpoint]).body_params[0]
        info = copy.copy(field.field_info)
        info.alias, info.validation_alias = "\x00own key", None
        moved = copy.copy(field)
        moved.field_info = info
        body = {"\x00own key": {"text": "moved"}, "text": {"text": "kept"}, "v": "kept", "a1": "kept"}
        return asyncio.run(utils.request_body_to_args([moved], body, False))

    results = {name: build(name) for name in FRAMEWORKS}
    assert results["vivace"] == results["fastapi"]


def test_a_model_body_validates_after_its_core_schema_is_replaced() -> None:
    """A body field of a plain model validates with the model's own validator, so replacing the model's
    `__pydantic_core_schema__` after the route is analysed changes nothing (FastAPI builds its adapter eagerly)."""

    def build(name: str) -> Any:
        fa = importlib.import_module(name)
        utils = importlib.import_module(f"{name}.dependencies.utils")

        class Late(BaseModel):
            value: int

        def endpoint(body: Late, n: int = fa.Body(1)) -> None: ...

        fields = utils.get_dependant(path="/", call=endpoint).body_params
        Late.__pydantic_core_schema__ = None  # type: ignore[assignment]
        solved = [asyncio.run(utils.request_body_to_args(fields, {"body": {"value": raw}}, True)) for raw in ("1", "x")]
        return [({key: _dumped(value) for key, value in values.items()}, errors) for values, errors in solved]

    results = {name: build(name) for name in FRAMEWORKS}
    assert results["vivace"] == results["fastapi"]
    assert results["vivace"][0][0]["body"] == {"value": 1}


def _dumped(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def test_bytes_fields_sharing_an_upload_each_read_it_from_where_it_stands() -> None:
    """Several `bytes` fields reading one upload (by request_body_to_args and _extract_form_body) each get its
    contents from the stream's position, which is left where it was."""

    def build(name: str) -> Any:
        fa = importlib.import_module(name)
        utils = importlib.import_module(f"{name}.dependencies.utils")

        def endpoint(
            a: bytes = fa.File(), b: bytes = fa.File(alias="a"), c: list[bytes] = fa.File(alias="a")
        ) -> None: ...

        fields = utils.get_dependant(path="/", call=endpoint).body_params
        upload = UploadFile(io.BytesIO(b"legacy"), filename="f.txt")
        form = FormData([("a", upload)])

        async def go() -> Any:
            first = await utils.request_body_to_args(fields, form, True)
            await upload.seek(3)
            second = await utils.request_body_to_args(fields, form, True)
            extracted = [(key, value) async for key, value, _ in utils._extract_form_body(fields, form)]
            return first, second, extracted, upload.file.tell()

        return asyncio.run(go())

    results = {name: build(name) for name in FRAMEWORKS}
    assert results["vivace"] == results["fastapi"]

"""The form-body helpers of `dependencies.utils` (used by API-versioning extensions to re-read a form) pick the
same values, leftovers and form models as FastAPI 0.165's."""

import asyncio
import functools
import importlib
import io
from typing import Annotated, Any, get_args, get_origin

import pytest
from pydantic import AliasChoices, BaseModel, Field
from starlette.datastructures import FormData, UploadFile

FRAMEWORKS = ("vivace", "fastapi")


class FormModel(BaseModel):
    x: str
    ys: list[int] = []
    z: Annotated[str, Field(alias="Z")] = "d"


class Other(BaseModel):
    q: int


class HeaderModel(BaseModel):
    x_y: str
    a: Annotated[str, Field(validation_alias="A")] = ""


def _ns(name: str) -> tuple[Any, Any]:
    return importlib.import_module(name), importlib.import_module(f"{name}.dependencies.utils")


def _same(build: Any) -> Any:
    results = {name: build(name) for name in FRAMEWORKS}
    assert results["vivace"] == results["fastapi"]
    return results["vivace"]


def _endpoints(fa: Any) -> dict[str, Any]:
    def model(m: Annotated[FormModel, fa.Form()]) -> None: ...
    def union(m: Annotated[FormModel | Other, fa.Form()]) -> None: ...

    def fields(
        a: Annotated[str, fa.Form()],
        b: Annotated[list[str], fa.Form()] = [],  # noqa: B006 - never mutated
        f: Annotated[bytes | None, fa.File()] = None,
        g: Annotated[str, fa.Form(alias="G")] = "g",
        h: Annotated[str, fa.Form(validation_alias=AliasChoices("h1", "h2"))] = "h",
    ) -> None: ...

    def headers(x_y: Annotated[str, fa.Header()], q: Annotated[str, fa.Query(alias="Q")], j: int = fa.Body()) -> None:
        ...

    return {"model": model, "union": union, "fields": fields, "headers": headers}


def _params(name: str, endpoint: str) -> list[Any]:
    fa, du = _ns(name)
    node = du.get_dependant(path="/", call=_endpoints(fa)[endpoint])
    return [*node.query_params, *node.header_params, *node.body_params]


def _upload(data: bytes = b"data") -> UploadFile:
    return UploadFile(io.BytesIO(data), filename="n")


FORMS = [
    [("a", "1"), ("b", "x"), ("b", "y"), ("G", "gg"), ("h2", "hv"), ("extra", "e"), ("a", "2")],
    [("ys", "1"), ("x", ""), ("e", "1"), ("e", "2")],
    [("a", ""), ("b", ""), ("e", "1"), ("e", "2"), ("e2", "")],
    [("x", "1"), ("ys", "1"), ("ys", "2"), ("Z", "zz"), ("other", "o")],
    [],
]


def _described(items: Any) -> list[Any]:
    return [(k, "upload" if isinstance(v, UploadFile) else v, f.name if f else None) for k, v, f in items]


@pytest.mark.parametrize("endpoint", ["model", "fields"])
@pytest.mark.parametrize("form", range(len(FORMS)))
def test_extract_form_items(endpoint: str, form: int) -> None:
    """Each field's value (last value, lists for sequences, "" skipped) and then the leftover keys."""
    def build(name: str) -> Any:
        _, du = _ns(name)
        return _described(du._extract_form_items(_params(name, endpoint), FormData(FORMS[form])))

    _same(build)


def test_extract_form_body_reads_uploads_for_bytes_fields() -> None:
    """_extract_form_body is an async generator giving a bytes field the upload's contents."""
    def build(name: str) -> Any:
        _, du = _ns(name)

        async def go() -> Any:
            form = FormData([("a", "1"), ("f", _upload()), ("more", _upload())])
            return _described([item async for item in du._extract_form_body(_params(name, "fields"), form)])

        return asyncio.run(go()), inspect_is_async_gen(du._extract_form_body)

    _same(build)


def inspect_is_async_gen(function: Any) -> bool:
    import inspect

    return inspect.isasyncgenfunction(function)


@pytest.mark.parametrize("endpoint", ["model", "union", "fields", "headers"])
def test_form_models_and_param_aliases(endpoint: str) -> None:
    """_get_form_models/_get_form_model and the (validated, read) name pairs of each parameter."""
    def build(name: str) -> Any:
        _, du = _ns(name)
        return [
            (
                field.name, du._get_form_models(field), du._get_form_model(field), du._get_param_aliases(field),
                du._get_param_aliases(field, convert_underscores=True),
            )
            for field in _params(name, endpoint)
        ]

    _same(build)


def test_param_aliases_of_model_fields_convert_underscores_on_request() -> None:
    """A header model's field named by its Python name is read with hyphens when asked."""
    def build(name: str) -> Any:
        _, du = _ns(name)
        fields = du.get_cached_model_fields(HeaderModel)
        return [(du._get_param_aliases(f), du._get_param_aliases(f, convert_underscores=True)) for f in fields]

    _same(build)


@pytest.mark.parametrize(
    "form", [[("a", "2"), ("a", "3")], [], [("a", "")], [("b", "")], [("b", "1"), ("b", "2")], [("f", "x")]]
)
def test_get_multidict_value(form: list[tuple[str, Any]]) -> None:
    """A field's value from a form or dict: Undefined when absent or empty, lists for sequences."""
    def build(name: str) -> Any:
        _, du = _ns(name)
        found = [du._get_multidict_value(f, FormData(form), f.alias) for f in _params(name, "fields")]
        from_dict = [du._get_multidict_value(f, dict(form), f.alias) for f in _params(name, "fields")]
        return found, from_dict

    _same(build)


@pytest.mark.parametrize(
    "form", [[("x", "1")], [("other", "o")], [("Z", "")], [("z", "1")], [("q", "1")], []]
)
def test_is_form_model_supplied(form: list[tuple[str, Any]]) -> None:
    """A form model counts as sent when the form carries any of its field names (by alias)."""
    def build(name: str) -> Any:
        _, du = _ns(name)
        return [du._is_form_model_supplied(model, FormData(form)) for model in (FormModel, Other)]

    _same(build)


@pytest.mark.parametrize(
    "value",
    [
        {"x": "1", "ys": ["1", "2"], "Z": "zz", "other": "o"},
        {"ys": "1", "x": ["a"], "Z": ["p", "q"]},
        {},
        "not a dict",
        FormData([("x", "1")]),
        {"x": ["a", None], "ys": None, "Z": [None, "p"]},
        {"x": [], "ys": ("1", "2"), "Z": [None]},
    ],
)
def test_normalize_form_model(value: Any) -> None:
    """A dict body is shaped for the model (lists where a field takes many, the last value otherwise)."""
    _same(lambda name: _ns(name)[1]._normalize_form_model(value, model=FormModel))


def _describe_union_member(member: Any, normalise: Any) -> Any:
    """A member of a declared union: the model, whether its validator normalises for that model, and its tag."""
    if get_origin(member) is not Annotated:
        return repr(member)
    model, *metadata = get_args(member)
    described: list[Any] = [model.__name__]
    for item in metadata:
        func = getattr(item, "func", None)
        if isinstance(func, functools.partial):
            described.append(("normalised", func.func is normalise, func.keywords.get("model") is model))
        else:
            described.append((type(item).__name__, getattr(item, "tag", None)))
    return described


@pytest.mark.parametrize("optional", [False, True], ids=["required", "optional"])
def test_a_form_union_of_models_is_declared_with_normalised_tagged_members(optional: bool) -> None:
    """`field_info.annotation` of a `Form()` union of models lists each model with a validator that normalises
    the form data for it and a tag of its name (extensions look for this shape); a plain `Body()` union does not."""

    def build(name: str) -> Any:
        fa, du = _ns(name)

        def form(u: Annotated[FormModel | Other | None, fa.Form()] = None) -> None: ...
        def required_form(u: Annotated[FormModel | Other, fa.Form()]) -> None: ...
        def body(u: Annotated[FormModel | Other, fa.Body()]) -> None: ...

        described = []
        for call in (form if optional else required_form, body):
            annotation = du.get_dependant(path="/", call=call).body_params[0].field_info.annotation
            described.append([_describe_union_member(arg, du._normalize_form_model) for arg in get_args(annotation)])
        return described

    _same(build)

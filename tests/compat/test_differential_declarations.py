"""Declaration-time checks and parameter analysis, compared with FastAPI 0.165.

Routes FastAPI refuses must fail where they are declared, with the same exception kind; routes it accepts must
read `Field()` metadata declared beside `Query()`, validated defaults, `Json[...]` values and byte lists alike.
"""

import json
import warnings
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Json


class Item(BaseModel):
    title: str


with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from pydantic.v1 import BaseModel as BaseModelV1


class ItemV1(BaseModelV1):
    title: str


class Opaque:
    """A class Pydantic cannot validate."""


# -- routes FastAPI refuses at declaration ---------------------------------------------------------------------


def _declare(fw: Any, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
    app = fw.FastAPI()
    app.post(path, **options)(endpoint)


def _list_items(id: list[Item]) -> None: ...
def _tuple_items(id: tuple[Item, Item]) -> None: ...
def _dict_items(id: dict[str, Item]) -> None: ...
def _plain_list(id: list) -> None: ...  # type: ignore[type-arg]
def _plain_set(id: set) -> None: ...  # type: ignore[type-arg]
def _plain_dict(id: dict) -> None: ...  # type: ignore[type-arg]
def _model(id: Item) -> None: ...


@pytest.mark.parametrize(
    "endpoint", [_list_items, _tuple_items, _dict_items, _plain_list, _plain_set, _plain_dict, _model]
)
def test_complex_path_parameter_is_refused(fw: Any, endpoint: Callable[..., Any]) -> None:
    """A model, dict or sequence as a path parameter fails at declaration with an AssertionError."""
    with pytest.raises(AssertionError, match="Path params must be of one of the supported types"):
        _declare(fw, "/items/{id}", endpoint)


def test_complex_query_parameters_are_refused(fw: Any) -> None:
    """A dict or a sequence of models declared with `Query()` fails at declaration."""
    bad: list[Any] = [list[Item], tuple[Item, Item], dict[str, Item], dict | None]
    for annotation in bad:

        def endpoint(q: Annotated[annotation, fw.Query()] = None) -> None: ...  # type: ignore[valid-type]

        with pytest.raises(AssertionError, match="Query parameter 'q' must be one of the supported types"):
            _declare(fw, "/items", endpoint)


def test_supported_query_shapes_are_accepted(fw: Any) -> None:
    """Scalars, scalar sequences, `Json[...]` values and (optional) parameter models stay valid in the query."""

    def endpoint(
        a: Annotated[list[int], fw.Query()],
        b: Annotated[tuple[int, ...] | None, fw.Query()] = None,
        c: Annotated[Json[list[int]], fw.Query()] = None,  # type: ignore[assignment]
        d: Annotated[Item | None, fw.Query()] = None,
    ) -> None: ...

    _declare(fw, "/items", endpoint)


@pytest.mark.parametrize(
    ("annotation", "options"),
    [
        (ItemV1, {}),
        (dict | ItemV1, {}),
        (list[ItemV1], {}),
        (None, {"response_model": ItemV1}),
        (None, {"response_model": None, "responses": {400: {"model": ItemV1}}}),
    ],
)
def test_pydantic_v1_models_are_refused(fw: Any, annotation: Any, options: dict[str, Any]) -> None:
    """A pydantic.v1 model in a parameter, a response model or `responses={...}` fails at declaration."""

    def endpoint(data: annotation) -> None: ...  # type: ignore[valid-type]

    def no_params() -> None: ...

    with pytest.raises(fw.exceptions.PydanticV1NotSupportedError):
        _declare(fw, "/v1", endpoint if annotation is not None else no_params, **options)


def test_pydantic_v1_return_annotation_is_refused(fw: Any) -> None:
    """A pydantic.v1 model as the return annotation (the implicit response model) fails at declaration."""

    def endpoint() -> ItemV1: ...  # type: ignore[empty-body]

    with pytest.raises(fw.exceptions.PydanticV1NotSupportedError):
        _declare(fw, "/v1", endpoint)


@pytest.mark.parametrize("model", [Opaque, list[Opaque]])
def test_unusable_model_in_responses_is_refused(fw: Any, model: Any) -> None:
    """A `responses={...}` model Pydantic cannot handle fails at declaration with FastAPIError."""

    def endpoint() -> None: ...

    with pytest.raises(fw.exceptions.FastAPIError):
        _declare(fw, "/", endpoint, responses={"500": {"model": model}})


def test_response_entry_must_be_a_dict(fw: Any) -> None:
    """A `responses={...}` value that is not a dict fails at declaration."""

    def endpoint() -> None: ...

    with pytest.raises(AssertionError, match="An additional response must be a dict"):
        _declare(fw, "/", endpoint, responses={400: "bad"})


def test_model_for_a_bodiless_status_is_refused(fw: Any) -> None:
    """A `responses={...}` model for a status that has no body (204) fails at declaration."""

    def endpoint() -> None: ...

    with pytest.raises(AssertionError, match="Status code 204 must not have a response body"):
        _declare(fw, "/", endpoint, responses={204: {"model": Item}})


def test_ambiguous_declarations_are_refused(fw: Any) -> None:
    """Defaults inside `Annotated` and `Depends` twice fail at declaration with FastAPI's AssertionErrors."""

    def dep() -> int:
        return 1

    def query_default(item_id: Annotated[int, fw.Query(default=1)]) -> None: ...
    def depends_twice(foo: Annotated[int, fw.Depends(dep)] = fw.Depends(dep)) -> None: ...
    def query_and_depends(foo: Annotated[int, fw.Query(min_length=1)] = fw.Depends(dep)) -> None: ...
    def query_twice(foo: Annotated[int, fw.Query()] = fw.Query()) -> None: ...

    cases = [
        (query_default, "`Query` default value cannot be set in `Annotated` for 'item_id'"),
        (depends_twice, "Cannot specify `Depends` in `Annotated` and default value together for 'foo'"),
        (query_and_depends, "Cannot specify a FastAPI annotation in `Annotated` and `Depends` as a default value"),
        (query_twice, "Cannot specify FastAPI annotations in `Annotated` and default value together for 'foo'"),
    ]
    for endpoint, message in cases:
        with pytest.raises(AssertionError, match=message):
            _declare(fw, "/", endpoint)


# -- what a declaration reads ----------------------------------------------------------------------------------

Count = Annotated[int, Field(alias="original", title="Original", json_schema_extra={"x-a": 1, "x-b": 2})]
Doubled = Annotated[int | None, BeforeValidator(lambda value: 0 if value is None else int(value) * 2)]


class NameLocHeaders(BaseModel):
    model_config = ConfigDict(loc_by_alias=False)
    int_val: int
    item_count: Annotated[int, Field(alias="x_count")]


def build_metadata(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/query")
    def query(
        kept: Annotated[Count, fw.Query()],
        replaced: Annotated[Count, fw.Query(alias="other", title="Other", json_schema_extra={"x-a": 9})],
        cleared: Annotated[Count, fw.Query(alias=None, title=None, json_schema_extra=None)],
        both: Annotated[int, fw.Query(gt=2), fw.Query(lt=10)] = 5,
    ) -> Any:
        return [kept, replaced, cleared, both]

    @app.post("/body")
    def body(
        kept: Annotated[Count, fw.Body()],
        chosen: Annotated[int, Field(alias="unused", validation_alias="wire"), fw.Body()],
    ) -> Any:
        return [kept, chosen]

    @app.get("/inferred")
    @app.get("/inferred/{item_id}")
    def inferred(
        item_id: Annotated[int, Field(default_factory=lambda: 5, description="The item")],
        count: Annotated[int, Field(alias="n", gt=0)] = 10,
    ) -> Any:
        return [item_id, count]

    @app.get("/defaults")
    def defaults(
        validated: Annotated[Doubled, Field(validate_default=True), fw.Query()] = 10,
        unvalidated: Annotated[Doubled, Field(validate_default=True), fw.Query(validate_default=False)] = 10,
        bad: Annotated[int, fw.Query(gt=0, validate_default=True)] = -1,
    ) -> Any:
        return [validated, unvalidated, bad]

    @app.post("/validated-body")
    def validated_body(
        values: Annotated[list[int], Field(default_factory=list, min_length=1, validate_default=True)],
        count: Annotated[int, Field(gt=0, validate_default=True)] = -1,
    ) -> Any:
        return [values, count]

    @app.get("/json")
    def json_values(
        items: Annotated[Json[list[str]], fw.Query()],
        x_items: Annotated[Json[list[str]], fw.Header()],
    ) -> Any:
        return [items, x_items]

    @app.get("/param")
    def bare_param(q: str | None = fw.package.params.Param(default=None)) -> Any:
        return q

    @app.get("/name-loc")
    def name_loc(params: Annotated[NameLocHeaders, fw.Header()]) -> Any:
        return params

    return app


ENCODED = json.dumps(["a", "b"])


@pytest.mark.parametrize(
    "req",
    [
        ("GET /query", {"params": {"original": "1", "other": "2", "cleared": "3"}}),
        ("GET /query", {"params": {"original": "1", "other": "2", "cleared": "3", "both": "12"}}),
        ("GET /query", {"params": {"original": "1", "other": "2", "cleared": "3", "both": "1"}}),
        ("GET /query", {"params": {"kept": "1", "replaced": "2"}}),
        ("POST /body", {"json": {"original": 1, "wire": 2}}),
        ("POST /body", {"json": {"kept": 1, "unused": 2}}),
        "GET /inferred",
        "GET /inferred/3",
        ("GET /inferred/3", {"params": {"n": "0"}}),
        ("GET /inferred", {"params": {"n": "7", "item_id": "2"}}),
        "GET /defaults",
        ("GET /defaults", {"params": {"bad": "1"}}),
        "POST /validated-body",
        ("POST /validated-body", {"params": {"count": "2"}, "json": [1, 2]}),
        ("GET /json", {"params": {"items": ENCODED}, "headers": {"x-items": ENCODED}}),
        ("GET /json", {"params": {"items": "[1"}, "headers": {"x-items": ENCODED}}),
        "GET /param",
        "GET /param?q=foo",
        ("GET /name-loc", {"headers": {"int-val": "1", "x_count": "2"}}),
        "GET /name-loc",
        ("GET /name-loc", {"headers": {"int-val": "x", "x_count": "y"}}),
        "GET /openapi.json",
    ],
)
def test_declaration_metadata(same: Any, req: Any) -> None:
    """`Field()` metadata beside markers, validated defaults, `Json[...]` and a bare `Param()` behave alike."""
    same(build_metadata, req)


def build_files(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.post("/bytes")
    def read_bytes(
        file: Annotated[bytes | None, fw.File()],
        files: Annotated[list[bytes] | None, fw.File()] = None,
    ) -> Any:
        return [file, files]

    return app


@pytest.mark.parametrize(
    "req",
    [
        ("POST /bytes", {"files": [("file", ("a.txt", b"hi")), ("files", ("b.txt", b"x")), ("files", ("c", b""))]}),
        ("POST /bytes", {"files": [("file", ("a.txt", b"")), ("files", (None, "text"))]}),
        ("POST /bytes", {"files": [("file", ("a.txt", b"hi"))]}),
    ],
)
def test_byte_lists(same: Any, req: Any) -> None:
    """`list[bytes] | None` file parameters receive each file's content."""
    same(build_files, req)

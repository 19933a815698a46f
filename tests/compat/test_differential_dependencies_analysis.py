"""`dependencies.utils` analysis helpers (get_dependant, flattening, body fields, typed signatures) give the
same answers as FastAPI 0.165's for the same callables."""

import importlib
import inspect
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Generator, Iterable, Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

FRAMEWORKS = ("vivace", "fastapi")


class Item(BaseModel):
    a: int


class FormModel(BaseModel):
    x: str


class Filters(BaseModel):
    a: int
    b: str = "b"


def _ns(name: str) -> tuple[Any, Any]:
    return importlib.import_module(name), importlib.import_module(f"{name}.dependencies.utils")


def get_validation_alias(field: Any) -> str:
    module = type(field).__module__.split(".")[0]
    return importlib.import_module(f"{module}.dependencies.utils").get_validation_alias(field)  # type: ignore[no-any-return]


def _same(build: Any) -> Any:
    results = {name: build(name) for name in FRAMEWORKS}
    assert results["vivace"] == results["fastapi"]
    return results["vivace"]


def _field(field: Any) -> tuple[Any, ...]:
    info = field.field_info
    return field.name, type(info).__name__, info.default, info.annotation, get_validation_alias(field)


def _node(node: Any) -> dict[str, Any]:
    """A Dependant as comparable data: its fields by location, injected names, scopes, sub-dependants."""
    return {
        "name": node.name,
        "path": node.path,
        "use_cache": node.use_cache,
        "call": getattr(node.call, "__name__", None),
        **{kind: [_field(f) for f in getattr(node, kind)] for kind in _KINDS},
        **{attr: getattr(node, attr) for attr in _SPECIAL_NAMES},
        "dependencies": [_node(sub) for sub in node.dependencies],
    }


_KINDS = ("path_params", "query_params", "header_params", "cookie_params", "body_params")
_SPECIAL_NAMES = (
    "request_param_name",
    "websocket_param_name",
    "http_connection_param_name",
    "response_param_name",
    "background_tasks_param_name",
    "security_scopes_param_name",
)


def _endpoint(fa: Any) -> Any:
    def sub(x: int, h: Annotated[str | None, fa.Header()] = None) -> int:
        return x

    def endpoint(
        item_id: int,
        item: Item,
        req: fa.Request,
        resp: fa.Response,
        tasks: fa.BackgroundTasks,
        q: str = "d",
        s: Any = fa.Depends(sub),
        c: Annotated[str, fa.Cookie()] = "c",
        x_token: Annotated[str | None, fa.Header()] = None,
    ) -> Item:
        return item

    return endpoint


def test_get_dependant_reads_parameters_like_fastapi() -> None:
    """Locations, defaults, aliases, injected parameter names and sub-dependants match."""
    def build(name: str) -> Any:
        fa, du = _ns(name)
        return _node(du.get_dependant(path="/items/{item_id}", call=_endpoint(fa)))

    _same(build)


def test_get_dependant_keeps_name_cache_flag_and_oauth_scopes() -> None:
    """name, use_cache and the own/parent OAuth scopes given to get_dependant are kept."""
    def build(name: str) -> Any:
        _, du = _ns(name)

        def dep(q: int) -> int:
            return q

        node = du.get_dependant(
            path="/", call=dep, name="nm", use_cache=False, own_oauth_scopes=["a"], parent_oauth_scopes=["b"]
        )
        return _node(node), node.own_oauth_scopes, node.parent_oauth_scopes

    _same(build)


def test_parameterless_sub_dependant_reads_path_parameters_of_the_route() -> None:
    """A `dependencies=[Depends(f)]` dependency's parameters named in the path are path parameters."""
    def build(name: str) -> Any:
        fa, du = _ns(name)

        def dep(x: int, h: Annotated[str | None, fa.Header()] = None) -> None:
            return None

        return _node(du.get_parameterless_sub_dependant(depends=fa.Depends(dep), path="/x/{x}"))

    _same(build)


def test_security_scopes_parameter_is_named() -> None:
    """A SecurityScopes parameter is recorded under security_scopes_param_name."""
    def build(name: str) -> Any:
        fa, du = _ns(name)
        scopes_cls = importlib.import_module(f"{name}.security").SecurityScopes

        def dep(scopes: scopes_cls, ws: fa.WebSocket) -> None:  # type: ignore[valid-type]
            return None

        return _node(du.get_dependant(path="/", call=dep))

    _same(build)


def test_flat_params_expand_parameter_models_and_include_sub_dependencies() -> None:
    """get_flat_params lists every location field of the tree, a Query model replaced by its fields."""
    def build(name: str) -> Any:
        fa, du = _ns(name)

        def dep(z: int, h: Annotated[str, fa.Header()] = "h") -> None:
            return None

        def endpoint(f: Annotated[Filters, fa.Query()], d: Any = fa.Depends(dep), p: str = "p") -> None:
            return None

        node = du.get_dependant(path="/", call=endpoint)
        return [(f.name, f.alias) for f in du.get_flat_params(node)]

    _same(build)


def _body_cases(fa: Any) -> list[Any]:
    def one_form(x: Annotated[str, fa.Form()]) -> None: ...
    def form_model(m: Annotated[FormModel, fa.Form()]) -> None: ...
    def one_body(i: Item) -> None: ...
    def embedded(i: Annotated[Item, fa.Body(embed=True)]) -> None: ...
    def one_file(f: Annotated[bytes, fa.File()]) -> None: ...
    def two(i: Item, j: Annotated[int, fa.Body(alias="J")] = 1) -> None: ...

    def sub(i: Item) -> None: ...

    def through_dependency(j: int = fa.Body(), d: Any = fa.Depends(sub)) -> None: ...
    def no_body(q: int = 1) -> None: ...
    def form_union(m: Annotated[FormModel | Item, fa.Form()]) -> None: ...
    def optional_form_union(m: Annotated[FormModel | Item | None, fa.Form()] = None) -> None: ...

    return [
        one_form, form_model, one_body, embedded, one_file, two, through_dependency, no_body, form_union,
        optional_form_union,
    ]


@pytest.mark.parametrize("case", range(10))
def test_body_field_matches(case: int) -> None:
    """_get_flat_body_params, _should_embed_body_fields and _get_body_field build the same body field."""
    def build(name: str) -> Any:
        fa, du = _ns(name)
        call = _body_cases(fa)[case]
        node = du.get_dependant(path="/", call=call)
        params = du._get_flat_body_params(node)
        embed = du._should_embed_body_fields(params)
        field = du._get_body_field(body_params=params, name=call.__name__, embed_body_fields=embed)
        if field is None:
            return [p.name for p in params], embed, None
        info = field.field_info
        annotation = info.annotation if not embed else info.annotation.model_json_schema()
        if case >= 8:
            # NOTE: FastAPI rewrites a union of form models into tagged members wrapping its own normaliser
            # function, which no other implementation can compare equal to; the embedding and names are compared
            annotation = None
        described = (field.name, field.alias, type(info).__name__, info.media_type, info.alias, annotation)
        return [p.name for p in params], embed, described

    _same(build)


def test_body_field_validates_an_embedded_body() -> None:
    """The generated Body_<name> field validates a whole embedded body with FastAPI's errors."""
    def build(name: str) -> Any:
        fa, du = _ns(name)
        call = _body_cases(fa)[5]
        params = du._get_flat_body_params(du.get_dependant(path="/", call=call))
        field = du._get_body_field(body_params=params, name="two", embed_body_fields=True)
        ok, _ = field.validate({"i": {"a": "1"}, "J": 4})
        return ok.model_dump(), field.validate({"i": {"a": "x"}}, loc=("body",))[1]

    _same(build)


def test_get_body_field_is_the_older_name_of_the_private_helper() -> None:
    """vivace also answers to `get_body_field` (older FastAPI's name, still imported by extensions)."""
    from vivace.dependencies import utils

    assert utils.get_body_field is utils._get_body_field


def test_typed_signature_and_return_annotation_resolve_strings() -> None:
    """String annotations resolve against the callable's module; a missing return annotation is None."""
    def build(name: str) -> Any:
        _, du = _ns(name)

        def typed(a: "Item", b: int = 3) -> "Item":
            return Item(a=b)

        def untyped(a):  # type: ignore[no-untyped-def]
            return a

        signature = du.get_typed_signature(typed)
        return (
            [(p.name, p.annotation, p.default) for p in signature.parameters.values()],
            du.get_typed_return_annotation(typed),
            du.get_typed_return_annotation(untyped),
            du.get_typed_annotation("Item", globals()),
            du.get_typed_annotation(int, {}),
            inspect.signature(du.get_typed_signature).parameters.keys() == {"call"},
        )

    _same(build)


@pytest.mark.parametrize(
    ("cls", "parent"),
    [(int, object), (list[int], list), (None, object), (Item, BaseModel), (Item, (int, BaseModel)), (3, int)],
)
def test_lenient_issubclass(cls: Any, parent: Any) -> None:
    """lenient_issubclass answers False for non-classes instead of raising."""
    _same(lambda name: _ns(name)[1].lenient_issubclass(cls, parent))


def test_get_validation_alias() -> None:
    """get_validation_alias names a field by its alias, else its Python name."""
    def build(name: str) -> Any:
        fa, du = _ns(name)

        def endpoint(a: Annotated[int, fa.Query(alias="A")], b: int, x_y: Annotated[str, fa.Header()] = "") -> None:
            return None

        node = du.get_dependant(path="/", call=endpoint)
        return [du.get_validation_alias(f) for f in [*node.query_params, *node.header_params]]

    _same(build)


@pytest.mark.parametrize(
    ("annotation", "default"),
    [(int, 3), (Item, inspect.Parameter.empty), (list[int], inspect.Parameter.empty), ("dep", None)],
)
def test_analyze_param(annotation: Any, default: Any) -> None:
    """analyze_param finds the same Depends or field for one parameter."""
    def build(name: str) -> Any:
        fa, du = _ns(name)

        def dependency() -> int:
            return 1

        value = fa.Depends(dependency) if annotation == "dep" else default
        details = du.analyze_param(
            param_name="p", annotation=int if annotation == "dep" else annotation, value=value, path_param_names=set()
        )
        field = details.field
        return (
            details.depends.dependency.__name__ if details.depends else None,
            (field.name, type(field.field_info).__name__) if field is not None else None,
        )

    _same(build)


def test_dependant_is_vivaces_analysis_record_and_its_fields_are_model_fields() -> None:
    """vivace.dependencies.models.Dependant is the class routes compile; its fields count as ModelFields."""
    from vivace._compat import ModelField
    from vivace._core.signature import Dependant as CoreDependant
    from vivace.dependencies.models import Dependant
    from vivace.dependencies.utils import get_dependant

    assert Dependant is CoreDependant
    node = get_dependant(path="/{item_id}", call=_endpoint(importlib.import_module("vivace")))
    assert all(isinstance(f, ModelField) for f in [*node.path_params, *node.query_params, *node.body_params])
    node.request_param_name = "other"
    assert node.request_param_name == "other" and "req" not in node.specials


@pytest.mark.parametrize(
    "annotation",
    [
        AsyncIterator[int], Iterator[str], AsyncGenerator[int, None], Generator[int, None, None],
        AsyncIterable[bytes], Iterable[int], list[int], int, AsyncIterator, None, Annotated[AsyncIterator[int], "x"],
    ],
)
def test_get_stream_item_type(annotation: Any) -> None:
    """get_stream_item_type names the item type of iterator and generator annotations, else None."""
    _same(lambda name: _ns(name)[1].get_stream_item_type(annotation))

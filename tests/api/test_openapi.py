"""The OpenAPI document: each app is built on vivace and on FastAPI 0.165 and the documents must be identical.

"Identical" means the same JSON text, so key order counts too (`json.dumps` without sorting).
"""

import importlib
import json
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import StrEnum
from types import SimpleNamespace
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, computed_field

from vivace import FastAPI
from vivace.openapi.utils import get_fields_from_routes

FRAMEWORKS = ("vivace", "fastapi")
_TOP = ("APIRouter", "Body", "Cookie", "Depends", "FastAPI", "File", "Form", "Header", "Path", "Query", "Security",
        "UploadFile")
_MODULES = ("responses", "security", "openapi.utils", "exceptions")

Build = Callable[[SimpleNamespace], Any]


def _namespace(name: str) -> SimpleNamespace:
    package = importlib.import_module(name)
    ns = SimpleNamespace(name=name, **{attr: getattr(package, attr) for attr in _TOP})
    for module in _MODULES:
        setattr(ns, module.replace(".", "_"), importlib.import_module(f"{name}.{module}"))
    return ns


@pytest.fixture(params=FRAMEWORKS)
def fw(request: pytest.FixtureRequest) -> SimpleNamespace:
    """One framework's names (`fw.FastAPI`, `fw.security.HTTPBasic`, ...), once per framework."""
    return _namespace(request.param)


def documents(build: Build) -> Iterator[tuple[str, dict[str, Any]]]:
    for name in FRAMEWORKS:
        yield name, build(_namespace(name)).openapi()


def assert_same(build: Build) -> dict[str, Any]:
    """Build the app on both frameworks; their documents must be equal, key order included."""
    docs = dict(documents(build))
    expected, actual = docs["fastapi"], docs["vivace"]
    assert actual == expected
    assert json.dumps(actual) == json.dumps(expected), "same content, different key order"
    return actual


# -- models shared by the apps below ---------------------------------------------------------------------------


class Color(StrEnum):
    red = "red"
    blue = "blue"


class Tag(BaseModel):
    name: str


class Item(BaseModel):
    """An item for sale.\fInternal notes that the API does not show."""

    name: str = Field(examples=["Foo"])
    price: float = Field(gt=0, description="Price in euros")
    tags: list[Tag] = []
    color: Color | None = None
    created: datetime | None = None


class Priced(BaseModel):
    net: float
    vat: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gross(self) -> float:
        return self.net + self.vat


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(100, gt=0, le=100)
    order_by: Literal["created_at", "updated_at"] = "created_at"
    tags: list[str] = []


class CommonHeaders(BaseModel):
    host: str
    x_tag: list[str] = []


class Message(BaseModel):
    message: str


# -- the document's top level -----------------------------------------------------------------------------------


def test_info_servers_tags_and_external_docs() -> None:
    """Info fields, servers, tags and externalDocs appear as FastAPI writes them."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI(
            title="Shop", summary="A shop", description="Sells **things**", version="2.5",
            terms_of_service="https://example.com/terms", contact={"name": "Ops", "email": "ops@example.com"},
            license_info={"name": "MIT", "identifier": "MIT"}, servers=[{"url": "https://api.example.com"}],
            openapi_tags=[{"name": "items", "description": "Items", "externalDocs": {"url": "https://x.org"}}],
            openapi_external_docs={"description": "More", "url": "https://example.com/docs"},
        )

        @app.get("/")
        def root() -> dict[str, str]:
            return {}

        return app

    document = assert_same(build)
    assert document["info"]["title"] == "Shop"


def test_empty_app_has_only_info_and_paths() -> None:
    """An app without routes documents no components."""
    document = assert_same(lambda fw: fw.FastAPI())
    assert list(document) == ["openapi", "info", "paths"]


def test_get_openapi_called_directly_with_webhooks() -> None:
    """get_openapi(...) with routes and webhooks gives FastAPI's document."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.webhooks.post("new-subscription", tags=["hooks"])
        def new_subscription(body: Item) -> None:
            """A new subscription was made."""

        @app.put("/items/{item_id}")
        def update(item_id: int, item: Item) -> Item:
            return item

        schema = fw.openapi_utils.get_openapi(
            title="Direct", version="1", openapi_version="3.1.0", routes=app.routes, webhooks=app.webhooks.routes,
            description="d",
        )
        return SimpleNamespace(openapi=lambda: schema)

    assert_same(build)


def test_module_constants_match() -> None:
    """The exported constant definitions equal FastAPI's."""
    vivace_utils = importlib.import_module("vivace.openapi.utils")
    fastapi_utils = importlib.import_module("fastapi.openapi.utils")
    for name in ("status_code_ranges", "validation_error_definition", "validation_error_response_definition"):
        assert getattr(vivace_utils, name) == getattr(fastapi_utils, name), name


# -- parameters -------------------------------------------------------------------------------------------------


def test_path_query_header_cookie_parameters() -> None:
    """Each location's parameters: constraints, defaults, enums, lists, aliases, descriptions and deprecation."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.get("/items/{item_id}/{color}")
        def read(
            item_id: Annotated[int, fw.Path(title="The ID", ge=1)],
            color: Color,
            q: Annotated[str | None, fw.Query(max_length=50, pattern="^[a-z]+$", description="Search")] = None,
            size: Annotated[float, fw.Query(gt=0, lt=10.5)] = 1.0,
            tags: Annotated[list[str], fw.Query(alias="tag")] = [],  # noqa: B006 - FastAPI accepts list defaults
            old: Annotated[str | None, fw.Query(deprecated=True)] = None,
            hidden: Annotated[str | None, fw.Query(include_in_schema=False)] = None,
            user_agent: Annotated[str | None, fw.Header()] = None,
            strange_header: Annotated[str | None, fw.Header(convert_underscores=False)] = None,
            x_token: Annotated[list[str] | None, fw.Header()] = None,
            session: Annotated[str | None, fw.Cookie()] = None,
            flag: bool = False,
        ) -> dict[str, Any]:
            return {}

        return app

    assert_same(build)


def test_parameter_examples() -> None:
    """`examples` go into the schema, `openapi_examples` and the deprecated `example` onto the parameter."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fw.exceptions.FastAPIDeprecationWarning)

            @app.get("/")
            def read(
                a: Annotated[int, fw.Query(examples=[1, 2])] = 0,
                b: Annotated[str, fw.Query(openapi_examples={"one": {"summary": "One", "value": "1"}})] = "",
                c: Annotated[str, fw.Query(example="old")] = "",
            ) -> None:
                pass

        return app

    assert_same(build)


def test_parameter_models() -> None:
    """Query, header and cookie parameter models are documented field by field."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.get("/items")
        def items(filters: Annotated[Filters, fw.Query()], headers: Annotated[CommonHeaders, fw.Header()]) -> None:
            pass

        @app.get("/optional")
        def optional(filters: Annotated[Filters | None, fw.Query()] = None) -> None:
            pass

        @app.get("/cookies")
        def cookies(cookies: Annotated[Message, fw.Cookie()]) -> None:
            pass

        return app

    assert_same(build)


def test_dependency_parameters_are_flattened_once() -> None:
    """Parameters of (sub-)dependencies are listed, a shared dependency only once, required wins."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        def pagination(skip: int = 0, limit: int = 10) -> dict[str, int]:
            return {}

        def token(x_token: Annotated[str, fw.Header()], page: dict[str, int] = fw.Depends(pagination)) -> str:
            return ""

        class Search:
            def __init__(self, q: str | None = None, skip: int = 5) -> None:
                pass

        @app.get("/a", dependencies=[fw.Depends(token)])
        def a(
            page: Annotated[dict[str, int], fw.Depends(pagination)],
            search: Annotated[Search, fw.Depends()],
            q: str,
        ) -> None:
            pass

        return app

    assert_same(build)


def test_parameter_on_route_without_inputs_has_no_422() -> None:
    """An operation without parameters or body has no 422 response and no error schemas."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.get("/plain")
        def plain() -> Message:
            return Message(message="")

        return app

    document = assert_same(build)
    assert "422" not in document["paths"]["/plain"]["get"]["responses"]


# -- request bodies ---------------------------------------------------------------------------------------------


def test_json_bodies() -> None:
    """A single body uses its type's schema; several bodies or embed=True make a Body_<operation id> model."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/single")
        def single(item: Item) -> Item:
            return item

        @app.post("/embed")
        def embed(item: Annotated[Item, fw.Body(embed=True)]) -> None:
            pass

        @app.put("/many/{item_id}")
        def many(
            item_id: int, item: Item, tag: Tag, importance: Annotated[int, fw.Body(gt=0)], note: str | None = None
        ) -> None:
            pass

        @app.post("/scalar")
        def scalar(count: Annotated[int, fw.Body()] = 1) -> None:
            pass

        @app.post("/examples")
        def examples(
            item: Annotated[Item, fw.Body(openapi_examples={"normal": {"summary": "N", "value": {"name": "x"}}})],
        ) -> None:
            pass

        @app.post("/media", status_code=201)
        def media(data: Annotated[dict[str, Any], fw.Body(media_type="application/vnd.api+json")]) -> None:
            pass

        return app

    assert_same(build)


def test_forms_and_files() -> None:
    """Form fields make urlencoded bodies; any file makes multipart; a form model is used as it is."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/login")
        def login(username: Annotated[str, fw.Form()], password: Annotated[str, fw.Form(min_length=8)]) -> None:
            pass

        @app.post("/upload")
        def upload(
            file: Annotated[bytes, fw.File(description="raw")],
            other: fw.UploadFile,
            many: list[fw.UploadFile],
            token: Annotated[str, fw.Form()],
        ) -> None:
            pass

        @app.post("/model")
        def model(data: Annotated[Message, fw.Form()]) -> None:
            pass

        return app

    assert_same(build)


def test_body_on_get_is_documented() -> None:
    """A body declared on GET is documented (FastAPI's METHODS_WITH_BODY includes GET)."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.get("/search")
        def search(item: Item) -> None:
            pass

        return app

    assert "requestBody" in assert_same(build)["paths"]["/search"]["get"]


# -- responses --------------------------------------------------------------------------------------------------


def test_response_models_input_and_output() -> None:
    """Response models are serialization schemas: models differing by mode split into -Input and -Output."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/items", response_model=list[Item])
        def create(item: Item) -> Any:
            return []

        @app.get("/priced")
        def priced(p: Priced) -> Priced:
            return p

        @app.get("/none", response_model=None)
        def none() -> Item:
            return Item(name="", price=1)

        return app

    assert_same(build)


@pytest.mark.parametrize("separate", [True, False])
def test_separate_input_output_schemas(separate: bool) -> None:
    """separate_input_output_schemas=False keeps one schema per model unless it has computed fields."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI(separate_input_output_schemas=separate)

        @app.post("/items")
        def create(item: Item, p: Priced) -> Priced:
            return p

        @app.get("/items")
        def items() -> list[Item]:
            return []

        return app

    assert_same(build)


def test_additional_responses_and_response_classes() -> None:
    """`responses=` merges with the main response; response classes set media types and status codes."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI(responses={500: {"description": "Boom"}})
        r = fw.responses

        @app.get(
            "/items/{item_id}",
            response_model=Item,
            responses={
                404: {"model": Message, "description": "Not found"},
                200: {"content": {"image/png": {}}, "description": "Item or image"},
                "4XX": {"model": Message},
                "default": {"description": "Other"},
                302: {},
            },
        )
        def read(item_id: str) -> Any:
            return None

        @app.get("/html", response_class=r.HTMLResponse)
        def html() -> str:
            return ""

        @app.get("/text", response_class=r.PlainTextResponse, responses={201: {"model": Message}})
        def text() -> str:
            return ""

        @app.get("/redirect", response_class=r.RedirectResponse)
        def redirect() -> str:
            return ""

        @app.delete("/items/{item_id}", status_code=204)
        def delete(item_id: int) -> None:
            pass

        @app.get("/cached", status_code=304, response_description="Not modified")
        def cached() -> None:
            pass

        @app.post("/created", status_code=201, responses={422: {"description": "Custom"}})
        def created(item: Item) -> Item:
            return item

        return app

    assert_same(build)


def test_default_response_class_of_app() -> None:
    """The app's default_response_class decides each operation's media type."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI(default_response_class=fw.responses.HTMLResponse)

        @app.get("/")
        def root() -> str:
            return ""

        return app

    assert_same(build)


def test_generator_endpoint_streams_json_lines() -> None:
    """A generator endpoint without an item type is documented as an application/jsonl stream."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.get("/stream", response_model=None)
        async def stream() -> Any:
            yield {"a": 1}

        return app

    assert_same(build)


# -- operations -------------------------------------------------------------------------------------------------


def test_operation_metadata() -> None:
    """Summary, description (docstring up to a form feed), tags, operation ids, deprecated, several methods."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.get("/a", tags=["x", "y"], summary="Custom", deprecated=True, operation_id="custom_a")
        def a() -> None:
            pass

        @app.get("/b", description="Given", response_description="The thing")
        def b() -> None:
            """Ignored docstring."""

        @app.get("/c")
        def c_endpoint() -> None:
            """First line.

            More text.
            \f
            Hidden.
            """

        @app.api_route("/multi", methods=["GET", "POST", "PUT"])
        def multi() -> None:
            pass

        @app.get("/hidden", include_in_schema=False)
        def hidden() -> None:
            pass

        return app

    # NOTE: a multi-method route repeats its operation id, and both frameworks warn about it.
    with pytest.warns(UserWarning, match="Duplicate Operation ID multi_multi_"):
        assert_same(build)


def test_custom_unique_id_function() -> None:
    """generate_unique_id_function names operations and the generated Body_/Response_ models."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI(generate_unique_id_function=lambda route: f"{route.tags[0]}-{route.name}")

        @app.post("/items", tags=["items"])
        def create(item: Item, tag: Tag) -> list[Item]:
            return []

        return app

    assert_same(build)


def test_duplicate_operation_id_warns(fw: SimpleNamespace) -> None:
    """Two operations with one operation id give a UserWarning naming the function."""
    app = fw.FastAPI()

    @app.get("/a", operation_id="same")
    def first() -> None:
        pass

    @app.get("/b", operation_id="same")
    def second() -> None:
        pass

    with pytest.warns(UserWarning, match="Duplicate Operation ID same for function second") as record:
        app.openapi()
    assert [type(w.message) for w in record] == [UserWarning]


def test_routers_with_prefix_tags_dependencies_and_responses() -> None:
    """Included routers contribute their prefix, tags, dependencies, responses and deprecation."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        def key(x_key: Annotated[str, fw.Header()]) -> None:
            pass

        router = fw.APIRouter(prefix="/items", tags=["items"], responses={404: {"description": "Missing"}})

        @router.get("/{item_id}", tags=["extra"])
        def read(item_id: int) -> Item:
            return Item(name="", price=1)

        app.include_router(router, prefix="/v1", dependencies=[fw.Depends(key)], deprecated=True,
                           responses={418: {"model": Message}})
        app.include_router(router, prefix="/v2", include_in_schema=False)

        @app.websocket("/ws")
        async def ws(websocket: Any) -> None:
            pass

        async def starlette_endpoint(request: Any) -> Any:
            return None

        app.add_route("/starlette", starlette_endpoint)
        return app

    assert_same(build)


def test_openapi_extra_is_deep_merged() -> None:
    """openapi_extra merges into the operation: dicts recursively, lists appended."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()
        extra = {
            "x-aperture-labs-portal": "blue",
            "parameters": [{"name": "extra", "in": "query", "schema": {"type": "string"}}],
            "requestBody": {"content": {"application/x-yaml": {"schema": {"type": "object"}}}, "required": True},
            "responses": {"200": {"description": "Replaced"}},
        }

        @app.post("/items", openapi_extra=extra)
        def create(q: int = 0) -> None:
            pass

        return app

    assert_same(build)


def test_callbacks_and_webhooks() -> None:
    """Callbacks are nested under their operation; webhooks get their own section."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()
        callbacks = fw.APIRouter()

        @callbacks.post("{$callback_url}/invoices/{$request.body.id}", response_model=Message)
        def invoice_notification(body: Tag) -> None:
            pass

        @app.post("/invoices", callbacks=callbacks.routes)
        def create_invoice(item: Item, callback_url: str | None = None) -> dict[str, str]:
            return {}

        @app.webhooks.post("new-item")
        def new_item(body: Item) -> None:
            pass

        return app

    assert_same(build)


# -- security ---------------------------------------------------------------------------------------------------


def test_security_schemes_and_scopes() -> None:
    """Security dependencies add securitySchemes and per-operation requirements with merged scopes."""

    def build(fw: SimpleNamespace) -> Any:
        s = fw.security
        oauth2 = s.OAuth2PasswordBearer(tokenUrl="token", scopes={"me": "Read me", "items": "Read items"})
        basic = s.HTTPBasic(description="Basic auth")
        api_key = s.APIKeyHeader(name="X-API-Key", scheme_name="ApiKey", auto_error=False)
        bearer = s.HTTPBearer()
        app = fw.FastAPI()

        def current_user(
            security_scopes: s.SecurityScopes, token: Annotated[str, fw.Depends(oauth2)]
        ) -> str:
            return token

        def active_user(user: Annotated[str, fw.Security(current_user, scopes=["me"])]) -> str:
            return user

        @app.get("/me/items", dependencies=[fw.Security(current_user, scopes=["items"])])
        def my_items(user: Annotated[str, fw.Security(active_user, scopes=["items"])]) -> None:
            pass

        @app.get("/basic")
        def with_basic(
            credentials: Annotated[Any, fw.Depends(basic)], key: Annotated[Any, fw.Depends(api_key)]
        ) -> None:
            pass

        @app.get("/bearer", dependencies=[fw.Depends(bearer)])
        def with_bearer() -> None:
            pass

        return app

    assert_same(build)


# -- the public helpers -----------------------------------------------------------------------------------------


def test_get_fields_from_routes_lists_bodies_responses_and_parameters() -> None:
    """get_fields_from_routes returns one field per body, response model and flattened parameter."""
    app = FastAPI()

    @app.post("/items/{item_id}", response_model=Item, responses={404: {"model": Message}})
    def create(item_id: int, item: Item, q: str = "") -> Any:
        return item

    names = [field.name for field in get_fields_from_routes(app.routes)]
    assert names == ["item", "Response_create_items__item_id__post", "Response_404_create_items__item_id__post",
                     "item_id", "q"]

"""Operations in the document as FastAPI 0.165 writes them: metadata, ids, callbacks, openapi_extra, responses.

Each app is built on vivace and on FastAPI; the two documents must be the same JSON text and building them must
warn alike (tests/openapi/openapi_support.py).
"""

from types import SimpleNamespace
from typing import Annotated, Any

import pytest
from openapi_support import assert_same_document
from pydantic import BaseModel, computed_field


class Invoice(BaseModel):
    id: str
    total: float


class Event(BaseModel):
    description: str
    paid: bool = False


class Receipt(BaseModel):
    ok: bool


class Problem(BaseModel):
    detail: str


class Totals(BaseModel):
    net: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gross(self) -> float:
        return self.net * 1.2


# -- metadata and operation ids ----------------------------------------------------------------------------------


def test_metadata_of_every_kind_of_route() -> None:
    """Tags, summary, description and deprecated come from the route, its router and include_router."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()
        router = fw.APIRouter(tags=["router"], deprecated=True)

        @router.get("/old", summary="", description="", tags=[])
        def read_old_things() -> None:
            """Docstring.\fNot shown."""

        @router.get("/new", deprecated=False, summary="New things", response_description="The new things")
        def read_new() -> None:
            pass

        @app.get("/plain", tags=["a", "b"], description="Described", deprecated=True)
        def plain_endpoint() -> None:
            """Ignored, the description wins."""

        app.include_router(router, prefix="/v1", tags=["included"])
        app.include_router(router, prefix="/v2", deprecated=False)
        return app

    assert_same_document(build)


def test_custom_operation_ids_and_unique_id_functions() -> None:
    """operation_id= wins over the unique id; router and route generate_unique_id_function name the rest."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI(generate_unique_id_function=lambda route: f"app-{route.name}")
        router = fw.APIRouter(generate_unique_id_function=lambda route: f"router-{route.name}")

        @router.post("/items")
        def create(item: Invoice) -> Invoice:
            return item

        @router.put("/items", generate_unique_id_function=lambda route: f"route-{route.name}")
        def replace(item: Invoice, q: int = 0) -> Invoice:
            return item

        @app.get("/custom", operation_id="my-own-id")
        def custom(q: str) -> None:
            pass

        app.include_router(router)
        return app

    assert_same_document(build)


def test_repeated_operation_ids_warn_alike() -> None:
    """A multi-method route and two routes sharing an operation_id give the same warnings on both frameworks."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.api_route("/both", methods=["GET", "POST", "DELETE"], operation_id="both")
        def both(body: Annotated[Invoice | None, fw.Body()] = None) -> None:
            pass

        @app.get("/again", operation_id="both")
        def again() -> None:
            pass

        return app

    assert_same_document(build)


# -- callbacks -------------------------------------------------------------------------------------------------


def test_callbacks_with_parameters_bodies_security_and_responses() -> None:
    """Callback operations are complete operations; their security schemes stay out of the components."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()
        callbacks = fw.APIRouter(default_response_class=fw.responses.JSONResponse)
        bearer = fw.security.HTTPBearer(scheme_name="CallbackBearer")

        @callbacks.post(
            "{$callback_url}/invoices/{$request.body.id}",
            response_model=Receipt,
            responses={409: {"model": Problem, "description": "Already paid"}},
            dependencies=[fw.Depends(bearer)],
            tags=["callback"],
        )
        def invoice_notification(body: Event, x_signature: Annotated[str, fw.Header()]) -> None:
            pass

        @callbacks.get("{$callback_url}/status", status_code=204)
        def invoice_status() -> None:
            pass

        @app.post("/invoices", callbacks=callbacks.routes, status_code=201)
        def create_invoice(invoice: Invoice, callback_url: str | None = None) -> Receipt:
            return Receipt(ok=True)

        @app.get("/no-callbacks", callbacks=[])
        def no_callbacks() -> None:
            pass

        return app

    assert_same_document(build)


def test_callbacks_of_a_multi_method_route_warn_per_method() -> None:
    """Each method documents the callbacks again, so their operation ids repeat and warn as FastAPI's do."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()
        callbacks = fw.APIRouter()

        @callbacks.post("{$url}/done")
        def done(body: Event) -> None:
            pass

        def jobs(job: Invoice) -> None:
            pass

        app.router.add_api_route("/jobs", jobs, methods=["POST", "PUT"], callbacks=callbacks.routes)

        @app.post("/more", callbacks=callbacks.routes)
        def more(job: Invoice) -> None:
            pass

        return app

    assert_same_document(build)


# -- openapi_extra ---------------------------------------------------------------------------------------------


def test_openapi_extra_on_every_method_of_a_route() -> None:
    """openapi_extra is merged into each method's operation once: lists appended once, dicts merged."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()
        extra = {
            "x-first": {"nested": [1]},
            "parameters": [{"name": "extra", "in": "header", "schema": {"type": "string"}}],
            "responses": {"422": {"description": "Bad input"}, "200": {"x-note": "ok"}},
            "requestBody": {"content": {"application/x-yaml": {"schema": {"type": "object"}}}},
            "security": [{"token": []}],
            "summary": "From extra",
        }

        @app.api_route("/things", methods=["GET", "POST"], openapi_extra=extra)
        def things(item: Invoice, q: int = 0) -> Receipt:
            return Receipt(ok=True)

        @app.get("/bare", openapi_extra={"x-only": True, "deprecated": True})
        def bare() -> None:
            pass

        return app

    assert_same_document(build)


def test_openapi_extra_request_body_without_parameters() -> None:
    """A route that reads its own body declares it only through openapi_extra, and gets no 422 response."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()
        schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}

        @app.post(
            "/raw",
            openapi_extra={"requestBody": {"content": {"application/json": {"schema": schema}}, "required": True}},
        )
        async def raw() -> None:
            pass

        return app

    assert_same_document(build)


# -- responses -------------------------------------------------------------------------------------------------


def test_response_descriptions_headers_and_links() -> None:
    """Headers, links, examples and descriptions in `responses=` merge with the main response."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI(responses={"5XX": {"description": "Server trouble"}})
        router = fw.APIRouter(responses={404: {"model": Problem}})
        headers = {"X-Rate-Limit": {"description": "Calls left", "schema": {"type": "integer"}}}
        links = {"GetInvoice": {"operationId": "read_invoice", "parameters": {"invoice_id": "$response.body#/id"}}}

        @router.post(
            "/invoices",
            status_code=201,
            response_description="The new invoice",
            responses={
                201: {"headers": headers, "links": links},
                "2XX": {"description": "Some success"},
                400: {"model": Problem, "content": {"application/json": {"example": {"detail": "no"}}}},
                401: {"content": {"text/plain": {"schema": {"type": "string"}}}},
                "default": {"model": Problem},
                "DEFAULT": {"description": "Upper case default"},
                599: {},
            },
        )
        def create_invoice(invoice: Invoice) -> Invoice:
            return invoice

        @router.get("/invoices/{invoice_id}", operation_id="read_invoice", responses={404: {"description": "Gone"}})
        def read_invoice(invoice_id: str) -> Invoice:
            return Invoice(id=invoice_id, total=0)

        app.include_router(router, responses={418: {"description": "Teapot", "model": Receipt}})
        return app

    assert_same_document(build)


def test_response_classes_status_codes_and_models() -> None:
    """Default status codes come from the response class; non-JSON classes keep their media type."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()
        r = fw.responses

        class Accepted(r.JSONResponse):
            def __init__(self, content: Any = None, status_code: int = 202, **kwargs: Any) -> None:
                super().__init__(content, status_code, **kwargs)

        class Untyped(r.Response):
            media_type = None

        @app.get("/accepted", response_class=Accepted, responses={200: {"model": Receipt}})
        def accepted() -> Receipt:
            return Receipt(ok=True)

        @app.get("/redirect", response_class=r.RedirectResponse, responses={404: {"model": Problem}})
        def redirect() -> str:
            return "/"

        @app.get("/untyped", response_class=Untyped)
        def untyped() -> None:
            pass

        @app.get("/html", response_class=r.HTMLResponse, response_model=None, responses={200: {"model": Problem}})
        def html() -> str:
            return ""

        @app.get("/empty", status_code=204, responses={204: {"description": "Nothing"}})
        def empty() -> None:
            pass

        @app.get("/informational", status_code=101)
        def informational() -> None:
            pass

        return app

    assert_same_document(build)


@pytest.mark.parametrize("separate", [True, False], ids=["separate", "shared"])
def test_separate_input_output_schemas_in_operations(separate: bool) -> None:
    """Parameters, bodies, responses and `responses=` models follow separate_input_output_schemas."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI(separate_input_output_schemas=separate)

        @app.post("/totals", responses={400: {"model": Totals}})
        def totals(body: Totals, invoice: Invoice, q: Annotated[list[int], fw.Query()]) -> list[Totals]:
            return []

        @app.get("/event")
        def event(paid: bool = False) -> Event:
            return Event(description="")

        return app

    assert_same_document(build)

"""Responses: response models and their options, status codes, Response objects and response classes."""

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, Field


def differs(spec: Any, reason: str) -> Any:
    """A request on which vivace is known to answer differently from FastAPI (tracked, strict xfail)."""
    return pytest.param(spec, marks=pytest.mark.xfail(strict=True, reason=f"vivace differs: {reason}"))


class Kind(Enum):
    small = "small"
    big = "big"


class Tag(BaseModel):
    label: str
    weight: float = 1.0


class ItemOut(BaseModel):
    name: str
    description: str | None = None
    price: float
    tax: float = 10.5
    tags: list[Tag] = []
    kind: Kind = Kind.small


class AliasedOut(BaseModel):
    item_name: str = Field(serialization_alias="itemName")
    internal_id: int = Field(alias="internalId")


class UserIn(BaseModel):
    username: str
    password: str
    email: str | None = None


class UserOut(BaseModel):
    username: str
    email: str | None = None


@dataclasses.dataclass
class Point:
    x: int
    y: int
    label: str | None = None


class Base(BaseModel):
    name: str


class Derived(Base):
    secret: str


ITEMS: dict[str, dict[str, Any]] = {
    "foo": {"name": "Foo", "price": 50.2},
    "bar": {"name": "Bar", "description": "The bartenders", "price": 62, "tax": 20.2},
    "baz": {"name": "Baz", "description": None, "price": 50.2, "tax": 10.5, "tags": []},
    "tagged": {"name": "T", "price": 1, "tags": [{"label": "x"}, {"label": "y", "weight": 2}], "kind": "big"},
}


def build_models(fw: Any) -> Any:  # noqa: C901 - one nested endpoint per case, no branching
    app = fw.FastAPI()

    @app.get("/items/{key}", response_model=ItemOut)
    async def item(key: str) -> Any:
        return ITEMS[key]

    @app.get("/unset/{key}", response_model=ItemOut, response_model_exclude_unset=True)
    async def unset(key: str) -> Any:
        return ItemOut(**ITEMS[key])

    @app.get("/unset-dict/{key}", response_model=ItemOut, response_model_exclude_unset=True)
    async def unset_dict(key: str) -> Any:
        return ITEMS[key]

    @app.get("/defaults/{key}", response_model=ItemOut, response_model_exclude_defaults=True)
    async def defaults(key: str) -> Any:
        return ItemOut(**ITEMS[key])

    @app.get("/none/{key}", response_model=ItemOut, response_model_exclude_none=True)
    async def none(key: str) -> Any:
        return ITEMS[key]

    @app.get("/include/{key}", response_model=ItemOut, response_model_include={"name", "description"})
    async def include(key: str) -> Any:
        return ITEMS[key]

    @app.get("/exclude/{key}", response_model=ItemOut, response_model_exclude={"tax", "tags"})
    async def exclude(key: str) -> Any:
        return ITEMS[key]

    @app.get("/include-list", response_model=ItemOut, response_model_include=["name", "price"])
    async def include_list() -> Any:
        return ITEMS["bar"]

    @app.get("/alias", response_model=AliasedOut)
    async def alias() -> Any:
        return AliasedOut(item_name="n", internalId=3)

    @app.get("/no-alias", response_model=AliasedOut, response_model_by_alias=False)
    async def no_alias() -> Any:
        return AliasedOut(item_name="n", internalId=3)

    @app.post("/user", response_model=UserOut)
    async def user(user: UserIn) -> Any:
        return user

    @app.post("/user-annotated")
    async def user_annotated(user: UserIn) -> UserOut:
        return user  # type: ignore[return-value] - FastAPI filters it through the return annotation

    @app.get("/list", response_model=list[ItemOut])
    async def as_list() -> Any:
        return [ITEMS["foo"], ItemOut(**ITEMS["bar"])]

    @app.get("/list-annotated")
    async def list_annotated() -> list[Tag]:
        return [Tag(label="a"), Tag(label="b", weight=0.5)]

    @app.get("/dict-model", response_model=dict[str, float])
    async def dict_model() -> Any:
        return {"a": 1, "b": 2.5}

    @app.get("/derived")
    async def derived() -> Base:
        return Derived(name="n", secret="hidden")

    @app.get("/dataclass", response_model=Point)
    async def dataclass_model() -> Any:
        return {"x": 1, "y": 2}

    @app.get("/dataclass-returned")
    async def dataclass_returned() -> Any:
        return Point(3, 4)

    @app.get("/model-returned")
    async def model_returned() -> Any:
        return ItemOut(name="x", price=1)

    @app.get("/none-model", response_model=None)
    async def none_model() -> Any:
        return {"free": "form", "n": [1, 2]}

    @app.get("/optional-model", response_model=ItemOut | None)
    async def optional_model() -> Any:
        return None

    @app.get("/string-annotated")
    async def string_annotated() -> str:
        return "plain"

    @app.get("/int-annotated")
    async def int_annotated() -> int:
        return "42"  # type: ignore[return-value] - coerced by the return annotation

    return app


MODEL_REQUESTS = [
    "GET /items/foo",
    "GET /items/bar",
    "GET /items/tagged",
    "GET /unset/foo",
    "GET /unset/baz",
    "GET /unset/tagged",
    "GET /unset-dict/foo",
    "GET /defaults/foo",
    "GET /defaults/baz",
    "GET /none/baz",
    "GET /none/bar",
    "GET /include/bar",
    "GET /exclude/bar",
    "GET /include-list",
    "GET /alias",
    "GET /no-alias",
    ("POST /user", {"json": {"username": "u", "password": "p", "email": "e@x"}}),
    ("POST /user-annotated", {"json": {"username": "u", "password": "p"}}),
    "GET /list",
    "GET /list-annotated",
    "GET /dict-model",
    "GET /derived",
    "GET /dataclass",
    "GET /dataclass-returned",
    "GET /model-returned",
    "GET /none-model",
    "GET /optional-model",
    "GET /string-annotated",
    "GET /int-annotated",
]


@pytest.mark.parametrize("req", MODEL_REQUESTS)
def test_response_models(same: Any, req: Any) -> None:
    """Response models filter and serialize (include/exclude/by_alias/exclude_*) to FastAPI's exact bytes."""
    same(build_models, req)


def build_values(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/floats")
    async def floats() -> Any:
        return {"small": 1.5e-07, "big": 1e16, "neg_zero": -0.0, "exact": 9007199254740992.0, "third": 1 / 3}

    @app.get("/floats-model", response_model=dict[str, float])
    async def floats_model() -> Any:
        return {"small": 1.5e-07, "big": 1e16, "neg_zero": -0.0, "third": 1 / 3}

    @app.get("/text")
    async def text() -> Any:
        return {"unicode": "h\u00e9llo \u2603 \U0001f600", "nul": "a\x00b", "quote": 'say "hi"\n', "slash": "a/b"}

    @app.get("/types")
    async def types() -> Any:
        return {
            "when": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            "naive": datetime(2024, 1, 2, 3, 4, 5, 678000),
            "day": date(2024, 1, 2),
            "delta": timedelta(hours=1, seconds=1.5),
            "money": Decimal("1.10"),
            "id": UUID("12345678-1234-5678-1234-567812345678"),
            "kind": Kind.big,
            "set": {1},
            "tuple": (1, "a"),
            "bytes": b"raw",
        }

    @app.get("/scalar-str")
    async def scalar_str() -> Any:
        return "just text"

    @app.get("/scalar-none")
    async def scalar_none() -> Any:
        return None

    @app.get("/scalar-int")
    async def scalar_int() -> Any:
        return 3

    @app.get("/nested")
    async def nested() -> Any:
        return {"items": [ItemOut(name="a", price=1), Point(1, 2)], "deep": {"x": [[{"y": None}]]}}

    @app.get("/empty")
    async def empty() -> Any:
        return {}

    @app.get("/sync")
    def sync() -> Any:
        return {"sync": True}

    return app


VALUE_REQUESTS = [
    "GET /floats",
    "GET /floats-model",
    "GET /text",
    "GET /types",
    "GET /scalar-str",
    "GET /scalar-none",
    "GET /scalar-int",
    "GET /nested",
    "GET /empty",
    "GET /sync",
]


@pytest.mark.parametrize("req", VALUE_REQUESTS)
def test_returned_values(same: Any, req: Any) -> None:
    """Returned values without a response model are encoded like FastAPI's jsonable_encoder + JSONResponse."""
    same(build_values, req)


def build_status(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.post("/created", status_code=201)
    async def created() -> Any:
        return {"created": True}

    @app.delete("/no-content", status_code=204)
    async def no_content() -> None:
        return None

    @app.get("/no-content-response", status_code=204, response_class=fw.Response)
    async def no_content_response() -> None:
        return None

    @app.get("/injected")
    async def injected(response: fw.Response) -> Any:
        response.status_code = 202
        response.headers["X-Extra"] = "1"
        response.set_cookie("flavour", "choc", max_age=60)
        return {"ok": True}

    @app.get("/injected-model", response_model=Tag)
    async def injected_model(response: fw.Response) -> Any:
        response.headers["X-Model"] = "yes"
        return {"label": "a"}

    @app.get("/injected-dep")
    async def injected_dep(value: Any = fw.Depends(_set_status_dependency(fw))) -> Any:
        return {"value": value}

    @app.get("/injected-keeps-default", status_code=201)
    async def injected_keeps_default(response: fw.Response) -> Any:
        response.headers["X-A"] = "a"
        return {"ok": True}

    @app.get("/injected-204")
    async def injected_204(response: fw.Response) -> Any:
        response.status_code = 204
        return {"dropped": True}

    @app.get("/status-enum", status_code=fw.status.HTTP_202_ACCEPTED)
    async def status_enum() -> Any:
        return "accepted"

    @app.get("/304", status_code=304)
    async def not_modified() -> None:
        return None

    @app.get("/cookies")
    async def cookies(response: fw.Response) -> Any:
        response.set_cookie("a", "1")
        response.set_cookie("b", "2", httponly=True, samesite="strict", secure=True, path="/p")
        response.delete_cookie("c")
        return {}

    return app


def _set_status_dependency(fw: Any) -> Any:
    def dependency(response: fw.Response) -> str:  # type: ignore[name-defined]
        response.status_code = 203
        response.headers["X-From-Dependency"] = "dep"
        return "dep"

    return dependency


STATUS_REQUESTS = [
    "POST /created",
    "DELETE /no-content",
    "GET /no-content-response",
    "GET /injected",
    "GET /injected-model",
    "GET /injected-dep",
    "GET /injected-keeps-default",
    "GET /injected-204",
    "GET /status-enum",
    "GET /304",
    "GET /cookies",
]


@pytest.mark.parametrize("req", STATUS_REQUESTS)
def test_status_codes_and_injected_response(same: Any, req: Any) -> None:
    """Declared status codes, 204 without body, and status/headers/cookies set on an injected Response."""
    same(build_status, req)


def build_classes(fw: Any) -> Any:  # noqa: C901 - one nested endpoint per case, no branching
    app = fw.FastAPI()

    @app.get("/html", response_class=fw.HTMLResponse)
    async def html() -> Any:
        return "<h1>hi</h1>"

    @app.get("/plain", response_class=fw.PlainTextResponse)
    async def plain() -> Any:
        return "plain text"

    @app.get("/plain-status", response_class=fw.PlainTextResponse, status_code=201)
    async def plain_status(response: fw.Response) -> Any:
        response.headers["X-P"] = "p"
        return "created"

    @app.get("/json-class", response_class=fw.JSONResponse)
    async def json_class() -> Any:
        return {"a": 1.5e-07}

    @app.get("/json-class-model", response_class=fw.JSONResponse, response_model=Tag)
    async def json_class_model() -> Any:
        return {"label": "x", "weight": 1.5e-07}

    @app.get("/return-response")
    async def return_response() -> Any:
        return fw.Response(content="<xml/>", media_type="application/xml", headers={"X-R": "r"})

    @app.get("/return-json-response")
    async def return_json_response() -> Any:
        return fw.JSONResponse({"custom": True}, status_code=418, headers={"X-J": "j"})

    @app.get("/return-response-annotated")
    async def return_response_annotated() -> fw.responses.Response:
        return fw.PlainTextResponse("annotated", status_code=202)

    @app.get("/return-response-with-model", response_model=Tag)
    async def return_response_with_model() -> Any:
        return fw.JSONResponse({"not": "validated"})

    @app.get("/redirect")
    async def redirect() -> Any:
        return fw.responses.RedirectResponse("/plain")

    @app.get("/redirect-class", response_class=fw.responses.RedirectResponse)
    async def redirect_class() -> Any:
        return "/html"

    @app.get("/response-plus-injected")
    async def response_plus_injected(response: fw.Response) -> Any:
        response.headers["X-Injected"] = "lost?"
        return fw.PlainTextResponse("own")

    return app


CLASS_REQUESTS = [
    "GET /html",
    "GET /plain",
    "GET /plain-status",
    "GET /json-class",
    "GET /json-class-model",
    "GET /return-response",
    "GET /return-json-response",
    "GET /return-response-annotated",
    "GET /return-response-with-model",
    "GET /redirect",
    "GET /redirect-class",
    "GET /response-plus-injected",
]


@pytest.mark.parametrize("req", CLASS_REQUESTS)
def test_response_classes(same: Any, req: Any) -> None:
    """Custom response_class renders, and returned Response objects are sent as they are, as in FastAPI."""
    same(build_classes, req)


def build_default_class(fw: Any) -> Any:
    app = fw.FastAPI(default_response_class=fw.PlainTextResponse)
    router = fw.APIRouter(default_response_class=fw.HTMLResponse)

    @app.get("/app")
    async def on_app() -> Any:
        return "app"

    @router.get("/router")
    async def on_router() -> Any:
        return "router"

    @router.get("/explicit", response_class=fw.JSONResponse)
    async def explicit() -> Any:
        return {"explicit": True}

    app.include_router(router)
    return app


@pytest.mark.parametrize("req", ["GET /app", "GET /router", "GET /explicit"])
def test_default_response_class(same: Any, req: Any) -> None:
    """default_response_class on the app and on a router applies with FastAPI's precedence."""
    same(build_default_class, req)


def build_invalid_responses(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/missing-field", response_model=ItemOut)
    async def missing_field() -> Any:
        return {"name": "no price"}

    @app.get("/wrong-type")
    async def wrong_type() -> list[int]:
        return ["a", 1]  # type: ignore[list-item] - the error under test

    @app.get("/none-for-model", response_model=ItemOut)
    async def none_for_model() -> Any:
        return None

    @app.get("/nan")
    async def nan() -> Any:
        return {"value": float("nan")}

    return app


INVALID_RESPONSES = ["GET /missing-field", "GET /wrong-type", "GET /none-for-model", "GET /nan"]


@pytest.mark.parametrize("req", INVALID_RESPONSES)
def test_invalid_responses_answer_500(same: Any, req: Any) -> None:
    """A result that fails the response model (or cannot be JSON) answers FastAPI's plain 500."""
    same(build_invalid_responses, req, raise_server_exceptions=False)


@pytest.mark.parametrize("req", INVALID_RESPONSES[:3])
def test_invalid_responses_raise(same: Any, req: Any) -> None:
    """Without a 500 handler the same results raise ResponseValidationError with FastAPI's errors()."""
    same(build_invalid_responses, req)


def test_response_validation_error_handler(same: Any) -> None:
    """A handler registered for ResponseValidationError receives it, as in FastAPI."""

    def build(fw: Any) -> Any:
        app = fw.FastAPI()

        @app.exception_handler(fw.ResponseValidationError)
        async def handler(request: Any, exc: Any) -> Any:
            return fw.JSONResponse({"errors": fw.encoders.jsonable_encoder(exc.errors())}, status_code=502)

        @app.get("/bad", response_model=Tag)
        async def bad() -> Any:
            return {"weight": "heavy"}

        return app

    same(build, "GET /bad")


def test_head_and_options_on_get_route(same: Any) -> None:
    """HEAD/OPTIONS on a GET-only route answer as FastAPI's router does."""

    def build(fw: Any) -> Any:
        app = fw.FastAPI()

        @app.get("/thing")
        async def thing() -> Any:
            return {"a": 1}

        @app.api_route("/both", methods=["GET", "HEAD"])
        async def both() -> Any:
            return {"b": 2}

        return app

    same(build, "HEAD /thing", "OPTIONS /thing", "HEAD /both", "GET /both")

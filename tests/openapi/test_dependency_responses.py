"""Dependencies that declare `__openapi_responses__` add those responses to every operation that uses them."""

# NOTE: no `from __future__ import annotations`: endpoints below use local dependencies in annotations

from functools import partial
from typing import Annotated, Any

from openapi_spec_validator import validate

from vivace import APIRouter, Depends, FastAPI, Header, HTTPException

UNAUTHORIZED = {
    401: {
        "description": "Missing or wrong token",
        "content": {"application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}},
    }
}


def require_token(x_token: Annotated[str | None, Header()] = None) -> str:
    if x_token != "secret":
        raise HTTPException(status_code=401, detail="Missing or wrong token")
    return x_token


require_token.__openapi_responses__ = UNAUTHORIZED  # type: ignore[attr-defined]


def current_user(token: Annotated[str, Depends(require_token)]) -> str:
    return "ada"


def responses_of(app: FastAPI, path: str, method: str = "get") -> dict[str, Any]:
    document = app.openapi()
    validate(document)
    operation: dict[str, Any] = document["paths"][path][method]
    return operation["responses"]


def test_declared_responses_reach_every_level_of_use() -> None:
    """Route dependency, nested sub-dependency, router and app dependencies: each operation documents the 401."""
    router = APIRouter(dependencies=[Depends(require_token)])

    @router.get("/admin")
    async def admin() -> str:
        return "admin"

    app = FastAPI()
    app.include_router(router)

    @app.get("/direct", dependencies=[Depends(require_token)])
    async def direct() -> str:
        return "direct"

    @app.get("/me")
    async def me(user: Annotated[str, Depends(current_user)]) -> str:
        return user

    @app.get("/public")
    async def public() -> str:
        return "public"

    for path in ("/admin", "/direct", "/me"):
        assert responses_of(app, path)["401"] == UNAUTHORIZED[401], path
    assert "401" not in responses_of(app, "/public")
    whole_app = FastAPI(dependencies=[Depends(require_token)])

    @whole_app.get("/any")
    async def any_route() -> str:
        return "any"

    assert responses_of(whole_app, "/any")["401"] == UNAUTHORIZED[401]


def test_order_of_responses_and_validation_error() -> None:
    """The declared response comes after the route's own responses and before the 422 of validated input."""
    app = FastAPI()

    @app.get("/items/{item}", dependencies=[Depends(require_token)], responses={404: {"description": "No item"}})
    async def item(item: int) -> int:
        return item

    assert list(responses_of(app, "/items/{item}")) == ["200", "404", "401", "422"]


def test_the_route_declaration_wins() -> None:
    """A route that documents the same status itself keeps its own description."""
    app = FastAPI()

    @app.get("/x", dependencies=[Depends(require_token)], responses={401: {"description": "Log in first"}})
    async def x() -> str:
        return "x"

    assert responses_of(app, "/x")["401"] == {"description": "Log in first"}


class Quota:
    """A callable dependency whose instances declare what they answer."""

    def __init__(self, status: int | str) -> None:
        self.status = status

    @property
    def __openapi_responses__(self) -> dict[int | str, dict[str, Any]]:
        return {self.status: {}}

    def __call__(self) -> None:
        return None


def test_instances_partials_and_filled_descriptions() -> None:
    """An instance's property and a partial's function are read; a missing description is the status text."""

    def checked(level: int) -> int:
        return level

    checked.__openapi_responses__ = {"4XX": {"description": "Client error"}}  # type: ignore[attr-defined]
    app = FastAPI()

    @app.get("/a", dependencies=[Depends(Quota(402)), Depends(Quota("default"))])
    async def a() -> str:
        return "a"

    @app.get("/b", dependencies=[Depends(partial(checked, 1))])
    async def b() -> str:
        return "b"

    # the class itself as the dependency (its `status` becomes a query parameter): the property is no mapping
    @app.get("/c", dependencies=[Depends(Quota)])
    async def c() -> str:
        return "c"

    documented = responses_of(app, "/a")
    assert list(documented) == ["200", "402", "default"]
    assert (documented["402"], documented["default"]) == (
        {"description": "Payment Required"},
        {"description": "Additional Response"},
    )
    assert responses_of(app, "/b")["4XX"] == {"description": "Client error"}
    assert set(responses_of(app, "/c")) == {"200", "422"}


def test_first_dependency_wins_and_overrides_do_not_change_the_document() -> None:
    """Two declarations of a status: the first met is documented; an override is a runtime change only."""

    def teapot() -> None:
        return None

    teapot.__openapi_responses__ = {401: {"description": "I am a teapot's 401"}}  # type: ignore[attr-defined]
    app = FastAPI()

    @app.get("/x", dependencies=[Depends(require_token), Depends(teapot)])
    async def x() -> str:
        return "x"

    app.dependency_overrides[require_token] = lambda: "overridden"
    assert responses_of(app, "/x")["401"] == UNAUTHORIZED[401]

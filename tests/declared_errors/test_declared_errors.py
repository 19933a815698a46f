"""`@raises` on a dependency documents its error responses on every operation using it, models included."""

import json
from typing import Annotated, Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from vivace import APIRouter, Depends, FastAPI, Header, HTTPException
from vivace.declared_errors import declared_responses, raises
from vivace.testclient import TestClient


class Problem(BaseModel):
    detail: str
    code: int


@raises(401, description="Missing or wrong token", headers={"WWW-Authenticate": {"schema": {"type": "string"}}})
def token(x_token: Annotated[str | None, Header()] = None) -> str:
    if x_token is None:
        raise HTTPException(401, "Missing or wrong token", headers={"WWW-Authenticate": "Token"})
    return x_token


@raises(403, model=Problem, description="Not the owner")
def owner(user: Annotated[str, Depends(token)]) -> str:
    if user != "ada":
        raise HTTPException(403, "Not the owner")
    return user


def responses_of(app: FastAPI, path: str, method: str = "get") -> dict[str, Any]:
    document = app.openapi()
    validate(document)
    result: dict[str, Any] = document["paths"][path][method]["responses"]
    return result


def test_declared_model_matches_route_level_responses() -> None:
    """A declared model gives the same responses and components as `responses={...: {"model": ...}}` on the route."""
    declared = FastAPI()

    @declared.get("/notes/{note_id}")
    def read(note_id: int, user: Annotated[str, Depends(owner)]) -> str:
        return user

    by_route = FastAPI()
    route_responses: dict[int | str, dict[str, Any]] = {
        403: {"model": Problem, "description": "Not the owner"},
        401: {"description": "Missing or wrong token", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
    }

    @by_route.get("/notes/{note_id}", responses=route_responses)
    def read(note_id: int, user: Annotated[str, Depends(owner)]) -> str:  # noqa: F811 - the same operation id
        return user

    first = declared.openapi()
    validate(first)
    assert first == by_route.openapi()
    assert first["components"]["schemas"]["Problem"]["required"] == ["detail", "code"]


def test_every_level_of_use_and_the_answers_themselves() -> None:
    """Router, app and nested dependencies document the errors; requests still answer as the code says."""
    router = APIRouter(dependencies=[Depends(owner)])

    @router.get("/admin")
    def admin() -> str:
        return "admin"

    app = FastAPI()
    app.include_router(router)

    @app.get("/public")
    def public() -> str:
        return "public"

    responses = responses_of(app, "/admin")
    assert list(responses) == ["200", "403", "401", "422"]
    assert responses["403"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert set(responses_of(app, "/public")) == {"200"}
    client = TestClient(app)
    assert client.get("/admin").status_code == 401
    assert client.get("/admin", headers={"x-token": "bob"}).json() == {"detail": "Not the owner"}
    assert client.get("/admin", headers={"x-token": "ada"}).json() == "admin"


def test_route_declaration_wins() -> None:
    """A status the route documents itself keeps the route's response."""
    app = FastAPI()

    @app.get("/x", dependencies=[Depends(owner)], responses={403: {"description": "Mine"}})
    def x() -> str:
        return "x"

    assert responses_of(app, "/x")["403"] == {"description": "Mine"}


def test_decorator_order_classes_and_errors() -> None:
    """Stacked declarations list in written order; classes and callable instances work; repeats are errors."""

    @raises(404)
    @raises("4XX", description="Any client error")
    class Lookup:
        def __init__(self, key: str) -> None:
            self.key = key

    assert list(declared_responses(Lookup)) == [404, "4XX"]
    assert declared_responses(Lookup)[404] == {}

    class Sub(Lookup):
        pass

    raises(409)(Sub)
    assert list(declared_responses(Lookup)) == [404, "4XX"]  # the base class is left alone
    assert list(declared_responses(Sub)) == [409, 404, "4XX"]
    app = FastAPI()

    @app.get("/lookup")
    def lookup(found: Annotated[Sub, Depends()]) -> str:
        return found.key

    responses = responses_of(app, "/lookup")
    assert responses["404"] == {"description": "Not Found"}
    assert responses["4XX"] == {"description": "Any client error"}
    assert responses["409"] == {"description": "Conflict"}
    with pytest.raises(ValueError, match="already declares the status 404"):
        raises(404)(Lookup)
    with pytest.raises(TypeError, match="cannot record"):
        raises(400)(len)


def test_without_declarations_the_document_is_fastapis() -> None:
    """Dependencies without @raises leave the document exactly as FastAPI writes it."""
    import fastapi

    def plain(q: str | None = None) -> str | None:
        return q

    def build(module: Any) -> str:
        app = module.FastAPI()

        @app.get("/items", dependencies=[module.Depends(plain)], responses={404: {"model": Problem}})
        def items() -> list[int]:
            return []

        return json.dumps(app.openapi(), sort_keys=True)

    import vivace

    assert build(vivace) == build(fastapi)

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from vivace import Depends, FastAPI, Request
from vivace.testclient import TestClient


def get_greeting() -> str:
    return "Hello"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    yield {"visits": []}


app = FastAPI(lifespan=lifespan)


@app.get("/greet/{name}")
async def greet(name: str, greeting: Annotated[str, Depends(get_greeting)], request: Request) -> dict[str, Any]:
    request.state.visits.append(name)
    return {"message": f"{greeting}, {name}!", "visits": len(request.state.visits)}


# The tests: `with TestClient(app)` runs the lifespan; dependency_overrides swaps a dependency.
def test_greet() -> None:
    with TestClient(app) as client:
        response = client.get("/greet/Ada")
        assert response.status_code == 200
        assert response.json() == {"message": "Hello, Ada!", "visits": 1}
        assert client.get("/greet/Bob").json()["visits"] == 2


def test_greet_with_override() -> None:
    app.dependency_overrides[get_greeting] = lambda: "Bonjour"
    try:
        with TestClient(app) as client:
            assert client.get("/greet/Ada").json()["message"] == "Bonjour, Ada!"
    finally:
        app.dependency_overrides.clear()


def test_name_is_required() -> None:
    with TestClient(app) as client:
        assert client.get("/greet/").status_code == 404

"""`vivace routes`: the route table, and `--plans` for the compiled plans."""

from __future__ import annotations

from cli_support import Project, Runner

SHOP = '''
from typing import Annotated

from pydantic import BaseModel
from starlette.applications import Starlette

from vivace import APIRouter, Depends, FastAPI, WebSocket


class Item(BaseModel):
    name: str


def get_db() -> str:
    return "db"


def get_user(db: Annotated[str, Depends(get_db)]) -> str:
    return "ada"


app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
router = APIRouter(prefix="/items", dependencies=[Depends(get_db)])


@router.get("/{item_id}", response_model=Item, name="read-item")
async def read_item(item_id: int, user: Annotated[str, Depends(get_user)]) -> Item:
    return Item(name=user)


@router.api_route("/", methods=["POST", "PUT"])
async def write_items() -> list[Item]:
    return []


app.include_router(router)


@app.websocket("/feed")
async def feed(websocket: WebSocket) -> None: ...


app.mount("/legacy", Starlette())
'''


def test_routes_table(project: Project, vivace: Runner) -> None:
    """One row per route in matching order: methods, path, name, direct dependencies, response model."""
    project.write("main.py", SHOP)
    result = vivace("routes")
    assert result.code == 0, result.err
    rows = [line.split("  ") for line in result.out.splitlines()]
    cells = [[cell.strip() for cell in row if cell.strip()] for row in rows]
    assert set("".join(cells.pop(1))) == {"-"}
    assert cells == [
        ["METHODS", "PATH", "NAME", "DEPENDENCIES", "RESPONSE MODEL"],
        ["GET", "/items/{item_id}", "read-item", "get_db, get_user", "Item"],
        ["POST,PUT", "/items/", "write_items", "get_db", "list[Item]"],
        ["WS", "/feed", "feed", "-", "-"],
        ["*", "/legacy/*", "-", "-", "-"],
    ]


def test_docs_routes_are_listed_too(project: Project, vivace: Runner) -> None:
    """The routes the app adds itself (/openapi.json, /docs, /redoc) appear, since they are matched first."""
    project.write("main.py", "from vivace import FastAPI\n\napp = FastAPI()\n")
    paths = [line.split()[1] for line in vivace("routes").out.splitlines()[2:]]
    assert paths[:3] == ["/openapi.json", "/docs", "/docs/oauth2-redirect"]
    assert "/redoc" in paths


def test_plans_show_each_compiled_route(project: Project, vivace: Runner) -> None:
    """--plans prints each API route's RoutePlan: dependency steps in the order they run."""
    project.write("main.py", SHOP)
    result = vivace("routes", "--plans")
    assert result.code == 0, result.err
    blocks = result.out.strip().split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [
        "RoutePlan(GET /items/{item_id} name='read-item'",
        "RoutePlan(POST,PUT /items/ name='write_items'",
        "RoutePlan(WEBSOCKET /feed name='feed'",
    ]
    first = blocks[0]
    assert first.index("get_db()") < first.index("get_user(") < first.index("read_item(")


RUNNERS = '''
from collections.abc import Iterator
from typing import Annotated

from vivace import Depends, FastAPI, Form
from vivace.responses import HTMLResponse

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


def session() -> Iterator[str]:
    yield "s"


@app.get("/health")
async def health() -> str:
    return "ok"


@app.get("/items/{item_id}")
async def item(item_id: int) -> int:
    return item_id


@app.post("/login")
async def login(user: Annotated[str, Form()], db: Annotated[str, Depends(session)]) -> str:
    return user


@app.get("/page", response_class=HTMLResponse)
async def page() -> str:
    return "<p>hi</p>"


@app.get("/me")
async def me(db: Annotated[str, Depends(session)]) -> str:
    return db


def audit() -> Iterator[str]:
    yield "a"


@app.get("/mixed")
async def mixed(
    log: Annotated[str, Depends(audit, scope="function")], db: Annotated[str, Depends(session)]
) -> str:
    return db
'''


def plans_output(project: Project, vivace: Runner, source: str) -> list[str]:
    """The lines `vivace routes --plans` prints for an app written from `source`."""
    project.write("main.py", source)
    result = vivace("routes", "--plans")
    assert result.code == 0, result.err
    return result.out.splitlines()


def test_plans_say_which_runner_serves_each_route(project: Project, vivace: Runner) -> None:
    """--plans ends each plan with the runner that answers it, and why a route needs the generic pipeline."""
    served = [line.strip() for line in plans_output(project, vivace, RUNNERS) if line.strip().startswith("served by:")]
    assert served == [
        "served by: flat runner, no request inputs)",
        "served by: flat runner)",
        "served by: flat runner, yield dependencies nested)",
        "served by: flat runner, no request inputs)",
        "served by: flat runner, yield dependencies nested)",
        "served by: generic pipeline (yield dependency with scope='function' before one with scope='request'))",
    ]


SERIALIZERS = '''
from pydantic import BaseModel

from vivace import FastAPI
from vivace.responses import PlainTextResponse


class User(BaseModel):
    id: int
    score: float | None = None


class Team(BaseModel):
    lead: User


app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/users")
async def users() -> list[User]:
    return []


@app.get("/team")
async def team() -> Team:
    return Team(lead=User(id=1))


@app.get("/sparse", response_model=list[User], response_model_exclude_none=True)
async def sparse() -> list[User]:
    return []


@app.get("/plain")
async def plain():
    return {"ok": True}


@app.get("/text", response_class=PlainTextResponse)
async def text() -> str:
    return "hi"
'''


def test_plans_name_each_route_serializer(project: Project, vivace: Runner) -> None:
    """--plans names the serializer: orjson for models (nested ones too) without filtering options, else Pydantic
    or JSON."""
    lines = plans_output(project, vivace, SERIALIZERS)
    serializers = [line.split("serializer=")[1] for line in lines if "serializer=" in line]
    assert serializers == ["orjson_writer", "orjson_writer", "pydantic_writer", "encode_plain", "class"]

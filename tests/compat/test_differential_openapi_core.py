"""`/openapi.json` as FastAPI 0.165 serves it: root paths per request, streams in included routers, tagged unions."""

import importlib
from collections.abc import AsyncIterable, Iterable
from typing import Annotated, Any
from typing import AsyncIterable as TypingAsyncIterable  # noqa: UP035 - the bare typing alias has an origin

import pytest
from annotated_types import Gt
from pydantic import BaseModel, Discriminator, Tag
from starlette.testclient import TestClient


class Item(BaseModel):
    name: str
    optional: str | None = None


class Cat(BaseModel):
    pet_type: str = "cat"
    meows: int


class Dog(BaseModel):
    pet_type: str = "dog"
    barks: float


def pet_type(value: Any) -> str:
    return str(value.get("pet_type", "")) if isinstance(value, dict) else ""


Pet = Annotated[Annotated[Cat, Tag("cat")] | Annotated[Dog, Tag("dog")], Discriminator(pet_type)]


def event_source(fw: Any) -> Any:
    return importlib.import_module(f"{fw.name}.sse").EventSourceResponse


# -- root path of the request -----------------------------------------------------------------------------------


def served(app: Any, root_paths: Iterable[str]) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    """`GET /openapi.json` once per root path, in order, each from its own client (as separate proxies would)."""
    outcomes = []
    for root_path in root_paths:
        response = TestClient(app, root_path=root_path).get("/openapi.json")
        outcomes.append((response.status_code, list(response.headers.multi_items()), response.content))
    return outcomes


def assert_served_alike(both: dict[str, Any], build: Any, root_paths: list[str]) -> None:
    """The same app on both frameworks serves the same documents for the same sequence of root paths."""
    results = {name: served(build(fw), root_paths) for name, fw in both.items()}
    for root_path, ours, theirs in zip(root_paths, results["vivace"], results["fastapi"], strict=True):
        assert ours == theirs, f"GET /openapi.json under root path {root_path!r}: vivace {ours!r} != {theirs!r}"


def plain_app(fw: Any, **settings: Any) -> Any:
    app = fw.FastAPI(**settings)

    @app.get("/")
    def read_root() -> dict[str, bool]:
        return {"ok": True}

    return app


SEQUENCES = [
    ["/evil-api", ""],
    ["/path-a", "/path-b", "/path-c", "", "/path-a"],
    ["/api/", "/api", ""],
    ["", "/api", "/api", ""],
]


@pytest.mark.parametrize("root_paths", SEQUENCES, ids=" then ".join)
def test_root_path_is_listed_only_for_its_own_request(both: dict[str, Any], root_paths: list[str]) -> None:
    """A request's root path is the first server of its own document only, never of a later request's."""
    assert_served_alike(both, plain_app, root_paths)


@pytest.mark.parametrize("root_paths", SEQUENCES, ids=" then ".join)
def test_root_path_goes_before_configured_servers(both: dict[str, Any], root_paths: list[str]) -> None:
    """With `servers=[...]`, a root path is put before them for that request, and they are left as given."""
    assert_served_alike(both, lambda fw: plain_app(fw, servers=[{"url": "https://prod.example.com"}]), root_paths)


def test_root_path_already_a_server_is_not_repeated(both: dict[str, Any]) -> None:
    """A root path that is already one of the configured servers is not added a second time."""
    servers = [{"url": "https://x.example"}, {"url": "/api"}]
    assert_served_alike(both, lambda fw: plain_app(fw, servers=servers), ["/api"])


def test_root_path_not_listed_when_disabled(both: dict[str, Any]) -> None:
    """`root_path_in_servers=False` keeps the root path out of the document."""
    assert_served_alike(both, lambda fw: plain_app(fw, root_path_in_servers=False), ["/api", ""])


def test_root_path_checked_against_an_overridden_document(both: dict[str, Any]) -> None:
    """A replaced `openapi()` is served as it is; its own servers decide whether the root path is added."""

    def build(fw: Any) -> Any:
        app = plain_app(fw)
        app.openapi = lambda: {"openapi": "3.1.0", "info": {}, "servers": [{"url": "/mounted"}], "paths": {}}
        return app

    assert_served_alike(both, build, ["/mounted", "/other", ""])


def test_configured_servers_are_not_modified(fw: Any) -> None:
    """Serving the document under a root path leaves the `servers` list given to the app untouched."""
    configured = [{"url": "https://prod.example.com"}]
    app = plain_app(fw, servers=configured)
    served(app, ["/evil", "/other"])
    assert configured == [{"url": "https://prod.example.com"}]
    assert app.servers == [{"url": "https://prod.example.com"}]
    assert app.openapi()["servers"] == [{"url": "https://prod.example.com"}]


# -- streams declared in included routers -----------------------------------------------------------------------


def build_streams(fw: Any) -> Any:
    sse = event_source(fw)
    app = fw.FastAPI()

    @app.get("/direct/jsonl")
    async def direct_jsonl() -> AsyncIterable[Item]:
        yield Item(name="a")

    @app.get("/direct/sse", response_class=sse)
    async def direct_sse() -> AsyncIterable[Item]:
        yield Item(name="a")

    router = fw.APIRouter()

    @router.get("/jsonl", response_model_exclude_none=True)
    async def router_jsonl() -> AsyncIterable[Item]:
        yield Item(name="a")

    @router.get("/jsonl-sync")
    def router_jsonl_sync() -> Iterable[Item]:
        yield Item(name="a")

    @router.get("/sse", response_class=sse)
    async def router_sse() -> AsyncIterable[Item]:
        yield Item(name="a")

    @router.get("/bare")
    async def router_bare() -> TypingAsyncIterable:  # type: ignore[type-arg]
        yield {"name": "a"}

    app.include_router(router, prefix="/api")
    return app


def build_app_default_sse(fw: Any) -> Any:
    app = fw.FastAPI(default_response_class=event_source(fw))
    router = fw.APIRouter()

    @router.get("/stream")
    async def stream() -> AsyncIterable[Item]:
        yield Item(name="a")

    app.include_router(router, prefix="/api")
    return app


def build_parent_default_sse(fw: Any) -> Any:
    app = fw.FastAPI()
    parent = fw.APIRouter(default_response_class=event_source(fw))
    child = fw.APIRouter()

    @child.get("/stream")
    def stream() -> Iterable[Item]:
        yield Item(name="a")

    parent.include_router(child)
    app.include_router(parent, prefix="/api")
    return app


def build_inclusion_default_sse(fw: Any) -> Any:
    app = fw.FastAPI()
    router = fw.APIRouter()

    @router.get("/stream")
    async def stream() -> AsyncIterable[Item]:
        yield Item(name="a")

    app.include_router(router, prefix="/api", default_response_class=event_source(fw))
    return app


@pytest.mark.parametrize(
    "build", [build_streams, build_app_default_sse, build_parent_default_sse, build_inclusion_default_sse]
)
def test_stream_item_schema_survives_include_router(same: Any, build: Any) -> None:
    """A typed JSON Lines or SSE stream keeps its item schema once its router is included."""
    same(build, "GET /openapi.json")


# -- tagged unions in a body ----------------------------------------------------------------------------------


def build_pets(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.post("/pet/assignment")
    async def create_pet_assignment(pet: Pet = fw.Body()) -> Any:
        return pet

    @app.post("/pet/annotated")
    async def create_pet_annotated(pet: Annotated[Pet, fw.Body()]) -> Any:
        return pet

    @app.post("/pet/discriminator")
    async def create_pet_discriminator(
        pet: Annotated[
            Annotated[Cat, Tag("cat")] | Annotated[Dog, Tag("dog")], fw.Body(discriminator=Discriminator(pet_type))
        ],
    ) -> Any:
        return pet

    return app


def test_tagged_union_body_schema(same: Any) -> None:
    """`x: Annotated[Union, Discriminator] = Body()` is documented as FastAPI does (anyOf: the default's
    declaration replaces the Annotated metadata); `Annotated[..., Body()]` keeps the discriminator (oneOf)."""
    same(build_pets, "GET /openapi.json")


@pytest.mark.parametrize(
    "req",
    [
        ("POST /pet/assignment", {"json": {"pet_type": "cat", "meows": 5}}),
        ("POST /pet/annotated", {"json": {"pet_type": "dog", "barks": 3.5}}),
        ("POST /pet/discriminator", {"json": {"pet_type": "dog", "barks": 3.5}}),
    ],
)
def test_tagged_union_body_is_validated(same: Any, req: Any) -> None:
    """Each declaration style of a tagged union body accepts the same bodies."""
    same(build_pets, req)


def build_metadata_with_default(fw: Any) -> Any:
    app = build_pets(fw)

    @app.get("/gt")
    async def read_gt(x: Annotated[int, Gt(3)] = fw.Query()) -> int:
        return x

    return app


@pytest.mark.parametrize(
    "req",
    ["GET /openapi.json", "GET /gt?x=1", ("POST /pet/assignment", {"json": {"pet_type": "bird"}})],
)
def test_default_declaration_replaces_annotated_metadata(same: Any, req: Any) -> None:
    """With `= Query()` / `= Body()` as the default, `Annotated` metadata (`Gt`, `Discriminator`) is not applied."""
    same(build_metadata_with_default, req)


def _paths_as_routes_are_added(fw: Any) -> list[Any]:
    """The documented paths after each change: a route on the app, a route on an included router, a mount."""
    app, router = fw.FastAPI(), fw.APIRouter()

    @router.get("/a")
    def first() -> int:
        return 1

    app.include_router(router, prefix="/r")
    client = TestClient(app)
    seen = [sorted(client.get("/openapi.json").json()["paths"])]

    @app.get("/late")
    def late() -> int:
        return 2

    seen.append(sorted(client.get("/openapi.json").json()["paths"]))

    @router.get("/b")
    def later() -> int:
        return 3

    seen.append(sorted(client.get("/openapi.json").json()["paths"]))
    app.mount("/sub", fw.FastAPI())
    seen.append(sorted(client.get("/openapi.json").json()["paths"]))
    assigned = fw.FastAPI()
    assigned.openapi_schema = {"assigned": True}
    seen.append(assigned.openapi().get("assigned"))  # replaced: assigned before the first build
    assigned.openapi_schema = {"assigned": True}
    seen.append(assigned.openapi().get("assigned"))  # kept: no route added since
    return seen


def test_document_follows_routes_added_later(both: dict[str, Any]) -> None:
    """Routes added after the document was first served appear in it, as in FastAPI; an assigned one is kept."""
    seen = {name: _paths_as_routes_are_added(fw) for name, fw in both.items()}
    assert seen["vivace"] == seen["fastapi"]
    assert seen["vivace"][2] == ["/late", "/r/a", "/r/b"]

"""A 200-route application for the startup scenario, written against FastAPI's public API only.

25 resources with 8 routes each, one `APIRouter` per resource included with a prefix and a tag, the way a
service grows: list (pagination query), detail (path parameter, response model), create (body, 201), replace
(path + body), delete (an OAuth2 bearer dependency chain, 204), tags (a header parameter), search (aliases, a
list query) and an action (a `yield` dependency and a sub-dependency). Every resource gets its own pair of models,
as real resources do. Like bench/app.py, the file is served as is by FastAPI and, through the `fastapi`
import alias, by vivace; bench/startup.py times importing it, building the app and its first requests.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, Field

RESOURCES = 25
ROUTES_PER_RESOURCE = 8


class Owner(BaseModel):
    id: int
    name: str


class Page(BaseModel):
    total: int
    offset: int
    limit: int


async def get_db() -> AsyncIterator[dict[str, Any]]:
    db: dict[str, Any] = {"open": True}
    try:
        yield db
    finally:
        db["open"] = False


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


async def current_owner(token: Annotated[str, Depends(oauth2_scheme)]) -> Owner:
    return Owner(id=len(token), name=token)


def resource_router(index: int) -> APIRouter:
    """The eight routes of resource number `index`, with models of its own."""

    class ItemIn(BaseModel):
        name: str = Field(min_length=1, max_length=100)
        price: float = Field(gt=0)
        tags: list[str] = []
        description: str | None = None

    class ItemOut(BaseModel):
        id: int
        name: str
        price: float
        tags: list[str]
        owner: Owner
        created_at: datetime

    ItemIn.__name__ = ItemIn.__qualname__ = f"Item{index}In"  # distinct OpenAPI schema names
    ItemOut.__name__ = ItemOut.__qualname__ = f"Item{index}Out"

    def build(item_id: int, name: str = "item") -> ItemOut:
        return ItemOut(
            id=item_id, name=name, price=1.5, tags=[], owner=Owner(id=1, name="o"), created_at=datetime(2024, 1, 1)
        )

    router = APIRouter()

    @router.get("/", response_model=list[ItemOut])
    async def list_items(
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(gt=0, le=100)] = 20,
        q: Annotated[str | None, Query(max_length=50)] = None,
    ) -> list[ItemOut]:
        return [build(n) for n in range(offset, offset + min(limit, 3))]

    @router.get("/{item_id}", response_model=ItemOut)
    async def read_item(item_id: Annotated[int, Path(ge=1)]) -> ItemOut:
        return build(item_id)

    @router.post("/", response_model=ItemOut, status_code=status.HTTP_201_CREATED)
    async def create_item(item: ItemIn, owner: Annotated[Owner, Depends(current_owner)]) -> ItemOut:
        return build(1, item.name)

    @router.put("/{item_id}", response_model=ItemOut)
    async def replace_item(item_id: Annotated[int, Path(ge=1)], item: ItemIn) -> ItemOut:
        return build(item_id, item.name)

    @router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_item(item_id: int, owner: Annotated[Owner, Depends(current_owner)]) -> None:
        return None

    @router.get("/{item_id}/tags", response_model=None)
    async def item_tags(item_id: int, accept_language: Annotated[str, Header()] = "en") -> dict[str, Any]:
        return {"item_id": item_id, "tags": [], "language": accept_language}

    @router.get("/search/by-tag", response_model=Page)
    async def search(
        tag: Annotated[list[str], Query(alias="tag[]")],
        sort_by: Annotated[str, Query(alias="sortBy", pattern="^(name|price)$")] = "name",
    ) -> Page:
        return Page(total=len(tag), offset=0, limit=20)

    @router.post("/{item_id}/archive", response_model=None)
    def archive(
        item_id: int,
        db: Annotated[dict[str, Any], Depends(get_db)],
        owner: Annotated[Owner, Depends(current_owner)],
    ) -> dict[str, Any]:
        return {"archived": item_id, "by": owner.name, "db_open": db["open"]}

    return router


def create_app() -> FastAPI:
    app = FastAPI(title="startup benchmark: 200 routes")
    for index in range(RESOURCES):
        app.include_router(resource_router(index), prefix=f"/r{index}", tags=[f"resource {index}"])
    return app


app = create_app()

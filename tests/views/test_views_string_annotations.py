"""Views written under `from __future__ import annotations`: every annotation is a string, resolved at startup."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel

from vivace import Depends, FastAPI, Query
from vivace.testclient import TestClient
from vivace.views import View, get, post


class Item(BaseModel):
    name: str


def prefix() -> str:
    return ">"


class Items(View):
    path = "/items"
    mark: Annotated[str, Depends(prefix)]
    verbose: Annotated[bool, Query()] = False

    @get("/")
    def read(self, name: str) -> Item:
        return Item(name=f"{self.mark}{name}{'!' if self.verbose else ''}")

    @post("/")
    async def create(self, item: Item) -> Item:
        return Item(name=self.mark + item.name)


def test_string_annotations_resolve() -> None:
    """Attributes, parameters and return types written as strings work: dependency, query, body, response model."""
    app = FastAPI()
    app.include_router(Items.as_router())
    client = TestClient(app)
    assert client.get("/items/", params={"name": "a", "verbose": "true"}).json() == {"name": ">a!"}
    assert client.post("/items/", json={"name": "b"}).json() == {"name": ">b"}
    operation = app.openapi()["paths"]["/items/"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["verbose", "name"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Item"}

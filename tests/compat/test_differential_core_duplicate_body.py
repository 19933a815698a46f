"""A body parameter name shared by the endpoint and its dependencies is one un-embedded body, as on FastAPI."""

from typing import Any

import pytest
from pydantic import BaseModel


class Item(BaseModel):
    data: str


class Other(BaseModel):
    n: int


def build_duplicates(fw: Any) -> Any:
    app = fw.FastAPI()

    def same_name(item: Item) -> Item:
        return item

    def same_name_other_type(item: Other) -> Other:
        return item

    def distinct_name(extra: Other) -> Other:
        return extra

    def nested(item: Item, sub: Item = fw.Depends(same_name)) -> list[Item]:
        return [item, sub]

    @app.post("/dup")
    async def dup(item: Item, item2: Item = fw.Depends(same_name)) -> Any:
        return [item, item2]

    @app.post("/sub")
    async def sub(item: Item, subs: list[Item] = fw.Depends(nested)) -> Any:
        return [item, subs]

    @app.post("/mixed")
    async def mixed(item: Item, other: Other = fw.Depends(same_name_other_type)) -> Any:
        return [item, other]

    @app.post("/distinct")
    async def distinct(item: Item, other: Other = fw.Depends(distinct_name)) -> Any:
        return [item, other]

    return app


@pytest.mark.parametrize(
    "req",
    [
        ("POST /dup", {"json": {"data": "x"}}),
        ("POST /dup", {"json": {"data": 1}}),
        "POST /dup",
        ("POST /sub", {"json": {"data": "x"}}),
        ("POST /sub", {"json": [1]}),
        ("POST /mixed", {"json": {"data": "x", "n": 1}}),
        ("POST /mixed", {"json": {"data": "x"}}),
        ("POST /distinct", {"json": {"item": {"data": "x"}, "extra": {"n": 3}}}),
        ("POST /distinct", {"json": {"data": "x"}}),
        "GET /openapi.json",
    ],
)
def test_shared_body_name_is_not_embedded(same: Any, req: Any) -> None:
    """Every user of the shared name gets the whole body; errors repeat per user; distinct names still embed."""
    same(build_duplicates, req)

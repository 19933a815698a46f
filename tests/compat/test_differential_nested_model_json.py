"""Nested response models (models in models, lists of them, datetimes), which vivace writes with a checked orjson
fast path: the bytes must stay FastAPI's, for what real code returns and for what bypassed validation produces.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from pydantic import BaseModel

UTC = datetime.UTC
PLUS_0530 = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
ODD_SECONDS = datetime.timezone(datetime.timedelta(minutes=19, seconds=32))  # orjson rounds, Pydantic cuts
AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


class Owner(BaseModel):
    id: int
    name: str
    joined: datetime.datetime


class Tag(BaseModel):
    label: str
    weight: float = 1.0


class Post(BaseModel):
    id: int
    title: str
    owner: Owner
    editor: Owner | None = None
    tags: list[Tag] = []
    related: list[Tag] | None = None
    published: datetime.datetime | None = None
    score: float = 0.0


class SpecialOwner(Owner):
    badge: str = "gold"


class Node(BaseModel):
    value: int
    children: list[Node] = []


def _owner(i: int, zone: datetime.tzinfo | None = UTC) -> Owner:
    return Owner(id=i, name=f"o{i}", joined=datetime.datetime(2024, 1, 2, 3, 4, 5, i * 1000, tzinfo=zone))


def _post(i: int, **changes: Any) -> Post:
    values: dict[str, Any] = {
        "id": i,
        "title": f"post é {i}",
        "owner": _owner(i),
        "editor": _owner(i + 1, None) if i % 2 else None,
        "tags": [Tag(label=f"t{j}", weight=j / 3) for j in range(i % 4)],
        "related": [Tag(label="r")] if i % 3 == 0 else None,
        "published": datetime.datetime(2025, 6, 1, 12, 0, tzinfo=PLUS_0530) if i % 2 == 0 else None,
        "score": i * 1.5,
    }
    return Post(**{**values, **changes})


def _hand_set_owner() -> Post:
    post = _post(1)
    object.__setattr__(post.owner, "password", "hunter2")
    return post


def _constructed_tag() -> Post:
    return _post(2, tags=[Tag.model_construct(label="x", weight=2)])


POSTS: dict[str, Any] = {
    "validated": lambda: [_post(i) for i in range(12)],
    "from-dicts": lambda: [_post(i).model_dump() for i in range(3)],
    "from-json-strings": lambda: [Post.model_validate_json(_post(i).model_dump_json()) for i in range(3)],
    "empty": lambda: [],
    "naive": lambda: [_post(1, owner=_owner(1, None))],
    "fixed-offset": lambda: [_post(1, owner=_owner(1, PLUS_0530))],
    "zoneinfo": lambda: [_post(1, owner=_owner(1, AMSTERDAM))],
    "odd-offset": lambda: [_post(1, owner=_owner(1, ODD_SECONDS))],
    "subclass-owner": lambda: [_post(1, owner=SpecialOwner(id=1, name="s", joined=datetime.datetime(2024, 1, 1)))],
    "hand-set-nested": lambda: [_hand_set_owner()],
    "int-in-nested-float": lambda: [_constructed_tag()],
    "missing-nested-field": lambda: [_post(1, editor=Owner.model_construct(id=1, name="no date"))],
}


def build(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/posts/{case}", response_model=list[Post])
    def posts(case: str) -> Any:
        return POSTS[case]()

    @app.get("/post/{case}", response_model=Post)
    def post(case: str) -> Any:
        return POSTS[case]()[0]

    @app.get("/tree/{depth}")
    def tree(depth: int) -> Node:
        node = Node(value=0)
        for level in range(1, depth):
            node = Node(value=level, children=[node, Node(value=-level)])
        return node

    @app.get("/annotated")
    async def annotated() -> list[Post]:
        return [_post(i) for i in range(3)]

    return app


CASES = sorted(POSTS)


@pytest.mark.parametrize("case", CASES)
def test_lists_of_nested_models(same: Any, case: str) -> None:
    """A list of models holding models, lists of models and datetimes is written as FastAPI writes it."""
    same(build, f"GET /posts/{case}")


@pytest.mark.parametrize("case", [case for case in CASES if case != "empty"])
def test_single_nested_models(same: Any, case: str) -> None:
    """One model holding models, lists of models and datetimes is written as FastAPI writes it."""
    same(build, f"GET /post/{case}")


@pytest.mark.parametrize("depth", [1, 2, 6])
def test_recursive_models(same: Any, depth: int) -> None:
    """A recursive model (a tree) is written as FastAPI writes it."""
    same(build, f"GET /tree/{depth}")


def test_return_annotation_of_nested_models(same: Any) -> None:
    """A `-> list[Post]` annotation (no response_model=) gives FastAPI's bytes too."""
    same(build, "GET /annotated")

"""Pydantic strict mode in JSON bodies: strict fields reject JSON strings for UUIDs, dates and enums, as on FastAPI."""

from datetime import date
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ConfigDict, Field, Strict, StrictInt

from vivace._core.validate import uses_strict_mode


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class StrictConfig(BaseModel):
    model_config = ConfigDict(strict=True)

    id: UUID
    day: date
    colour: Colour


class StrictField(BaseModel):
    id: UUID = Field(strict=True)
    day: date


class StrictAnnotation(BaseModel):
    day: Annotated[date, Strict()]
    count: int = 0


class Holder(BaseModel):
    """Not strict itself: only the nested model is."""

    inner: list[StrictConfig]


class Lax(BaseModel):
    id: UUID
    day: date
    colour: Colour


def build_strict(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.post("/config")
    def config(item: StrictConfig) -> Any:
        return item

    @app.post("/field")
    def field(item: StrictField) -> Any:
        return item

    @app.post("/annotation")
    def annotation(item: StrictAnnotation) -> Any:
        return item

    @app.post("/nested")
    def nested(holder: Holder) -> Any:
        return holder

    @app.post("/embedded")
    def embedded(item: StrictField, count: Annotated[StrictInt, fw.Body()]) -> Any:
        return {"item": item, "count": count}

    @app.post("/lax")
    def lax(item: Lax) -> Any:
        return item

    return app


_ID = "0c6f0c3e-3d6e-4a57-8d53-0bd2c6a9d2a1"
_BODY = {"id": _ID, "day": "2024-05-06", "colour": "red"}


@pytest.mark.parametrize(
    "req",
    [
        ("POST /config", {"json": _BODY}),
        ("POST /config", {"json": {**_BODY, "id": 5}}),
        ("POST /config", {"content": b'{"id": "x", ', "headers": {"content-type": "application/json"}}),
        ("POST /field", {"json": {"id": _ID, "day": "2024-05-06"}}),
        ("POST /annotation", {"json": {"day": "2024-05-06", "count": "3"}}),
        ("POST /nested", {"json": {"inner": [_BODY]}}),
        ("POST /embedded", {"json": {"item": {"id": _ID, "day": "2024-05-06"}, "count": "3"}}),
        ("POST /embedded", {"json": {"item": {"id": _ID, "day": "2024-05-06"}, "count": 3}}),
    ],
)
def test_strict_body_matches_python_mode(same: Any, req: Any) -> None:
    """Strict bodies get FastAPI's 422s (strings are not UUIDs, dates or enums in Python mode) and decode errors."""
    same(build_strict, req)


@pytest.mark.parametrize(
    "req",
    [
        ("POST /lax", {"json": _BODY}),
        ("POST /lax", {"json": {**_BODY, "colour": "green"}}),
    ],
)
def test_non_strict_body_unchanged(same: Any, req: Any) -> None:
    """Bodies without strict mode anywhere still accept the string forms, like FastAPI."""
    same(build_strict, req)


@pytest.mark.parametrize(
    ("model", "strict"),
    [(StrictConfig, True), (StrictField, True), (StrictAnnotation, True), (Holder, True), (Lax, False)],
)
def test_strict_detection(model: type[BaseModel], strict: bool) -> None:
    """Strict mode is found wherever it is switched on, and only there (the fast path stays for the rest)."""
    assert uses_strict_mode(model.__pydantic_core_schema__) is strict

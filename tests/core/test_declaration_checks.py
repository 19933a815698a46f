"""Declaration checks and parameter analysis: what a route's RoutePlan is built from, checked on vivace alone."""

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, Json

from vivace import FastAPI, Query
from vivace.exceptions import FastAPIError
from vivace.routing import APIRoute


class Item(BaseModel):
    title: str


def _route(app: FastAPI, path: str) -> APIRoute:
    return next(r for r in app.routes if isinstance(r, APIRoute) and r.path == path)


def test_refused_declaration_is_both_assertion_and_fastapi_error() -> None:
    """A refused declaration can be caught as FastAPI's AssertionError and as vivace's FastAPIError."""
    app = FastAPI()
    with pytest.raises(FastAPIError) as raised:

        @app.get("/items/{id}")
        def read(id: list[Item]) -> None: ...

    assert isinstance(raised.value, AssertionError)


def test_field_metadata_is_merged_into_the_marker() -> None:
    """`Field()` attributes and constraints beside `Query()` land on the parameter's declaration, later wins."""
    app = FastAPI()

    @app.get("/")
    def read(value: Annotated[int, Field(alias="wire", title="T", gt=0), Query(title="U", lt=9)]) -> None: ...

    (param,) = _route(app, "/").dependant.query_params
    assert (param.alias, param.field_info.title) == ("wire", "U")
    assert sorted(type(m).__name__ for m in param.field_info.metadata) == ["Gt", "Lt"]
    assert param.annotation is int  # NOTE: the Field() moved into the declaration, so it is not validated twice


def test_explicit_none_on_the_marker_clears_the_field_attribute() -> None:
    """`Query(alias=None)` after `Field(alias=...)` falls back to the parameter's own name."""
    app = FastAPI()

    @app.get("/")
    def read(value: Annotated[int, Field(alias="wire"), Query(alias=None)]) -> None: ...

    (param,) = _route(app, "/").dependant.query_params
    assert param.alias == "value"
    assert param.field_info.validation_alias is None


def test_inferred_path_parameter_drops_the_default_factory() -> None:
    """A path parameter stays required even when its `Field()` declares a default factory."""
    app = FastAPI()

    @app.get("/{item_id}")
    def read(item_id: Annotated[int, Field(default_factory=lambda: 5)]) -> None: ...

    (param,) = _route(app, "/{item_id}").dependant.path_params
    assert param.required


def test_json_value_is_not_read_as_repeated_keys() -> None:
    """`Json[list[str]]` is one JSON-encoded value, not a list of repeated query keys."""
    app = FastAPI()

    @app.get("/")
    def read(items: Annotated[Json[list[str]], Query()], tags: list[str] = Query([])) -> Any: ...

    items, tags = _route(app, "/").dependant.query_params
    assert (items.is_sequence, tags.is_sequence) == (False, True)


def test_default_validation_error_names_the_parameter() -> None:
    """A validated default that fails is reported under the parameter's external name, not an internal key."""
    from vivace.testclient import TestClient

    app = FastAPI()

    @app.get("/")
    def read(value: Annotated[int, Query(alias="v", gt=0, validate_default=True)] = -1) -> Any:
        return value

    body = TestClient(app).get("/").json()
    assert body["detail"][0]["loc"] == ["query", "v"]

"""Mistakes in a route's declaration fail when the route is declared, naming the route and the parameter."""

from typing import Annotated

import pytest

from vivace import Depends, FastAPI
from vivace.exceptions import FastAPIError


class Opaque:
    """A class Pydantic knows nothing about."""


def test_unusable_parameter_type_names_parameter_and_route() -> None:
    """A parameter whose type Pydantic cannot validate is reported with its name and the route."""
    app = FastAPI()
    with pytest.raises(FastAPIError, match=r"'thing'.*Opaque") as raised:

        @app.get("/things")
        def read(limit: int, thing: Opaque) -> None: ...

    assert "GET /things" in "".join(raised.value.__notes__)


def test_dependency_cycle_is_reported_with_the_chain() -> None:
    """A dependency that (indirectly) depends on itself is reported with the whole chain."""
    app = FastAPI()

    def first(value: Annotated[int, Depends(lambda: 1)]) -> int:
        return value

    def second(value: Annotated[int, Depends(first)]) -> int:
        return value

    # NOTE: a cycle needs a forward reference; build it by pointing `first` at `second` after both exist
    first.__annotations__["value"] = Annotated[int, Depends(second)]
    with pytest.raises(FastAPIError, match="cycle: read -> second -> first -> second"):

        @app.get("/cycle")
        def read(value: Annotated[int, Depends(second)]) -> int:
            return value

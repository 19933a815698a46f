"""A parameter annotated with a type that cannot be resolved at runtime (imported only under TYPE_CHECKING) breaks
a request only when the request sends it, as in FastAPI 0.165: the route's other parameters validate as usual."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from decimal import Decimal

    from tests.compat.conftest import Framework


def limit_with_unresolved_price(limit: int, price: Decimal | None = None) -> int:
    """A dependency whose second parameter names a type only type checkers see."""
    return limit


def limit_with_required_unresolved_price(limit: int, price: Decimal) -> int:
    """The same, with the unresolvable parameter required."""
    return limit


def build(fw: Framework) -> Any:
    app = fw.FastAPI()

    @app.get("/optional")
    def optional(limit: int = fw.Depends(limit_with_unresolved_price)) -> int:
        return limit

    @app.get("/required")
    def required(limit: int = fw.Depends(limit_with_required_unresolved_price)) -> int:
        return limit

    return app


@pytest.mark.parametrize(
    "req",
    [
        "GET /optional?limit=5",
        "GET /optional?limit=five",
        "GET /optional",
        "GET /optional?limit=5&price=3",
        "GET /required?limit=5",
        "GET /required?limit=x&price=3",
    ],
)
def test_an_unresolvable_parameter_fails_only_when_sent(same: Any, req: str) -> None:
    """Values, 422s for the other parameters and missing errors as FastAPI's; a 500 once the parameter is sent."""
    same(build, req, raise_server_exceptions=False)

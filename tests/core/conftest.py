"""Fixtures shared by the tests of the route plans (tests/core/test_route_plans.py, test_route_first_use.py)."""

from typing import Any

import pytest

from vivace import _route_plans as route_plans


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The path of every route compiled from here on."""
    paths: list[str] = []
    original = route_plans.compile_route

    def counting(route: Any, dependant: Any) -> Any:
        paths.append(route.path)
        return original(route, dependant)

    monkeypatch.setattr(route_plans, "compile_route", counting)
    return paths

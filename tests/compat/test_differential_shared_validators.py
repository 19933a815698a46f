"""Routes whose parameters look alike share validators only when they validate identically (same answers as FastAPI).

vivace builds one validator per parameter shape and reuses it across routes; these apps declare parameters that
Python calls equal (`1 == True`, `Le(5) == Le(5.0)`, `int | float == float | int`) but that validate or report
differently, next to routes that do share, and every answer must match FastAPI's.
"""

from typing import Annotated, Any

import pytest
from conftest import Framework


def _lookalikes(fw: Framework) -> Any:  # noqa: C901 - one app, many small routes
    app = fw.FastAPI()

    @app.get("/default-true")
    def default_true(x: int | bool = True) -> Any:
        return {"x": x}

    @app.get("/default-one")
    def default_one(x: int | bool = 1) -> Any:
        return {"x": x}

    @app.get("/default-float")
    def default_float(x: int | float = 1.0) -> Any:
        return {"x": x}

    @app.get("/default-int")
    def default_int(x: int | float = 1) -> Any:
        return {"x": x}

    @app.get("/int-or-float")
    def int_or_float(x: int | float) -> Any:
        return {"x": x}

    @app.get("/float-or-int")
    def float_or_int(x: float | int) -> Any:
        return {"x": x}

    @app.get("/le-int")
    def le_int(x: Annotated[float, fw.Query(le=5)]) -> Any:
        return {"x": x}

    @app.get("/le-float")
    def le_float(x: Annotated[float, fw.Query(le=5.0)]) -> Any:
        return {"x": x}

    @app.get("/described/{item_id}")
    def described(item_id: Annotated[int, fw.Path(ge=1, description="one")], q: str = "a") -> Any:
        return {"item_id": item_id, "q": q}

    @app.get("/redescribed/{item_id}")
    def redescribed(item_id: Annotated[int, fw.Path(ge=1, title="Other", examples=[3])], q: str = "b") -> Any:
        return {"item_id": item_id, "q": q}

    @app.get("/aliased")
    def aliased(q: Annotated[str, fw.Query(alias="query")] = "a") -> Any:
        return {"q": q}

    @app.get("/unaliased")
    def unaliased(q: str = "a") -> Any:
        return {"q": q}

    return app


@pytest.mark.parametrize(
    "request_line",
    [
        "GET /default-true",
        "GET /default-one",
        "GET /default-float",
        "GET /default-int",
        "GET /int-or-float?x=abc",
        "GET /float-or-int?x=abc",
        "GET /int-or-float?x=2",
        "GET /float-or-int?x=2",
        "GET /le-int?x=9",
        "GET /le-float?x=9",
        "GET /described/0",
        "GET /redescribed/0",
        "GET /described/3",
        "GET /redescribed/3?q=c",
        "GET /aliased?query=x&q=y",
        "GET /unaliased?query=x&q=y",
    ],
)
def test_lookalike_parameters_answer_as_fastapi(same: Any, request_line: str) -> None:
    same(_lookalikes, request_line)


def _bodies(fw: Framework) -> Any:
    app = fw.FastAPI()

    @app.post("/one")
    def one(x: Annotated[int | bool, fw.Body(embed=True)] = True) -> Any:
        return {"x": x}

    @app.post("/two")
    def two(x: Annotated[int | bool, fw.Body(embed=True)] = 1) -> Any:
        return {"x": x}

    @app.post("/three")
    def three(values: Annotated[list[int], fw.Body(max_length=2)]) -> Any:
        return values

    @app.post("/four")
    def four(values: Annotated[list[int], fw.Body(max_length=3)]) -> Any:
        return values

    return app


@pytest.mark.parametrize(
    "request_spec",
    [
        ("POST /one", {"json": {}}),
        ("POST /two", {"json": {}}),
        ("POST /three", {"json": [1, 2, 3]}),
        ("POST /four", {"json": [1, 2, 3]}),
        ("POST /four", {"json": [1, 2, 3, 4]}),
    ],
)
def test_lookalike_bodies_answer_as_fastapi(same: Any, request_spec: Any) -> None:
    same(_bodies, request_spec)


def _responses(fw: Framework) -> Any:
    app = fw.FastAPI()

    @app.get("/int-or-float", response_model=int | float)
    def int_or_float() -> Any:
        return "1"

    @app.get("/float-or-int", response_model=float | int)
    def float_or_int() -> Any:
        return "1"

    @app.get("/int-list", response_model=list[int])
    def int_list() -> Any:
        return ["1", 2]

    @app.get("/int-list-again", response_model=list[int])
    def int_list_again() -> Any:
        return ["3"]

    return app


@pytest.mark.parametrize(
    "request_line", ["GET /int-or-float", "GET /float-or-int", "GET /int-list", "GET /int-list-again"]
)
def test_lookalike_response_models_answer_as_fastapi(same: Any, request_line: str) -> None:
    same(_responses, request_line)

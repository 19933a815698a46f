"""Routes served by vivace's flat runners (src/vivace/_core/runner.py) answer byte for byte as FastAPI does.

The flat runners cover routes without forms, `yield` dependencies or streams; routes that take no input at all
get a runner of their own. These cases sit on the edges of those shortcuts.
"""

from typing import Annotated, Any

import pytest


def build_constant(fw: Any) -> Any:
    """Routes whose dependencies and endpoint take no arguments."""
    app = fw.FastAPI()
    calls: list[str] = []

    def audit() -> None:
        calls.append("audit")

    async def refuse() -> None:
        raise fw.HTTPException(status_code=403, detail="no", headers={"x-why": "closed"})

    @app.get("/constant")
    async def constant() -> dict[str, Any]:
        return {"ok": True, "values": [1, 2.5, None, "é"]}

    @app.get("/constant-sync")
    def constant_sync() -> list[int]:
        return [1, 2, 3]

    @app.get("/no-content", status_code=204)
    async def no_content() -> None:
        return None

    @app.post("/created", status_code=201)
    async def created() -> str:
        return "made"

    @app.get("/returns-response")
    async def returns_response() -> Any:
        return fw.PlainTextResponse("plain", status_code=202, headers={"x-kind": "direct"})

    @app.get("/not-plain")
    async def not_plain() -> Any:
        return {"tuple": (1, 2), "set": {3}, "nan-free": 1.0}

    @app.get("/audited", dependencies=[fw.Depends(audit)])
    async def audited() -> dict[str, int]:
        return {"calls": len(calls)}

    @app.get("/refused", dependencies=[fw.Depends(refuse)])
    async def refused() -> str:
        raise AssertionError("not reached")  # pragma: no cover

    return app


def build_with_inputs(fw: Any) -> Any:
    """Routes that read the request or take the injected Response and BackgroundTasks."""
    app = fw.FastAPI()
    calls: list[str] = []

    @app.get("/status-from-response")
    async def status_from_response(response: fw.Response) -> dict[str, str]:
        response.status_code = 202
        response.headers["x-extra"] = "1"
        response.set_cookie("seen", "yes")
        return {"set": "on the injected response"}

    @app.get("/with-background")
    async def with_background(tasks: fw.BackgroundTasks) -> str:
        tasks.add_task(calls.append, "background")
        return "queued"

    @app.get("/typed/{item_id}")
    async def typed(item_id: int, extra: Annotated[str | None, fw.Query(max_length=3)] = None) -> dict[str, Any]:
        return {"item_id": item_id, "extra": extra}

    return app


@pytest.mark.parametrize(
    "req",
    [
        "GET /constant",
        "GET /constant-sync",
        "GET /no-content",
        "POST /created",
        "GET /created",
        "GET /returns-response",
        "GET /not-plain",
        "GET /audited",
        "GET /refused",
    ],
)
def test_constant_input_routes(same: Any, req: str) -> None:
    """Routes without inputs answer with the same status, headers and body as on FastAPI."""
    same(build_constant, req)


@pytest.mark.parametrize(
    "req",
    ["GET /status-from-response", "GET /with-background", "GET /typed/7?extra=abc", "GET /typed/x?extra=toolong"],
)
def test_routes_with_inputs(same: Any, req: str) -> None:
    """Routes that read the request answer with the same status, headers and body as on FastAPI."""
    same(build_with_inputs, req)


def test_exception_after_the_response_started_is_not_answered_twice(fw: Any) -> None:
    """A background task that fails after the response was sent is raised, with no second response."""
    app = fw.FastAPI()

    def explode() -> None:
        raise RuntimeError("after the response")

    @app.get("/late-failure")
    async def late_failure(tasks: fw.BackgroundTasks) -> str:
        tasks.add_task(explode)
        return "sent"

    with pytest.raises(RuntimeError, match="after the response"):
        fw.TestClient(app).get("/late-failure")
    response = fw.TestClient(app, raise_server_exceptions=False).get("/late-failure")
    assert (response.status_code, response.json()) == (200, "sent")

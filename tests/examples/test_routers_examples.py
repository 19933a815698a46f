"""The router-scoped handlers/middleware and problem-details guide samples do what the pages say."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate
from samples import client_for, load

from vivace.testclient import TestClient

PROBLEM_JSON = "application/problem+json"


def problem(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"] == PROBLEM_JSON, response.text
    body: dict[str, Any] = response.json()
    return body


# -- docs/guide/router-handlers.md --------------------------------------------------------------------------


def test_partner_routes_have_their_own_error_format() -> None:
    """The partners router's handlers answer its routes (async and sync handlers); the public API keeps FastAPI's."""
    client = client_for("routers_handlers")
    assert client.get("/orders/9").json() == {"detail": "No such order"}
    assert client.get("/partners/orders/9").json() == {"error": {"code": 404, "message": "No such order"}}
    declined = client.post("/partners/orders/1/payment")
    assert (declined.status_code, declined.json()) == (402, {"error": {"code": "declined", "message": "card expired"}})
    assert client.get("/partners/orders/1").json() == {"status": "open"}
    assert client.get("/partners/orders/x").json()["detail"][0]["loc"] == ["path", "order_id"]


def test_inclusion_handler_applies_to_that_inclusion_only() -> None:
    """The 503 handler given to one include_router call answers /v1 only."""
    client = client_for("routers_handlers")
    assert (client.get("/v1/ping").status_code, client.get("/v1/ping").json()) == (200, {"ok": False})
    assert (client.get("/v2/ping").status_code, client.get("/v2/ping").json()) == (503, {"detail": "Maintenance"})


def test_router_middleware_nesting_and_short_circuit() -> None:
    """Timing headers on every /api route (outermost last), the key check on /api/admin only, nothing on /health."""
    client = client_for("routers_middleware")
    status = client.get("/api/status")
    assert [value.split(";")[0] for value in status.headers.get_list("server-timing")] == ["api", "total"]
    refused = client.delete("/api/admin/users/3")
    assert (refused.status_code, refused.json()) == (401, {"detail": "Missing or wrong X-Key"})
    assert len(refused.headers.get_list("server-timing")) == 2  # the outer router's middleware saw the 401
    allowed = client.delete("/api/admin/users/3", headers={"x-key": "s3cret"})
    assert allowed.json() == {"deleted": 3}
    health = client.get("/health")
    assert health.json() == {"status": "ok"} and "server-timing" not in health.headers


# -- docs/guide/problem-details.md --------------------------------------------------------------------------


def test_errors_are_problem_documents() -> None:
    """404, 405 and 422 answers are problem documents with the request path as instance."""
    client = client_for("problem_details")
    assert problem(client.get("/items/quill")) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No item named 'quill'",
        "instance": "/items/quill",
    }
    invalid = problem(client.post("/purchases", json={"account": "alice"}))
    assert (invalid["status"], invalid["title"]) == (422, "Unprocessable Content")
    assert invalid["errors"] == [
        {"type": "missing", "loc": ["body", "item"], "msg": "Field required", "input": {"account": "alice"}}
    ]
    assert problem(client.put("/purchases"))["status"] == 405


def test_out_of_credit_problem_type() -> None:
    """The OutOfCredit problem carries its type, title, detail and extension members; a purchase that fits passes."""
    client = client_for("problem_details")
    refused = client.post("/purchases", json={"account": "alice", "item": "book"})
    assert refused.status_code == 403
    assert problem(refused) == {
        "type": "https://example.com/probs/out-of-credit",
        "title": "You do not have enough credit.",
        "status": 403,
        "detail": "Your current balance is 30, but that costs 50.",
        "instance": "/purchases",
        "balance": 30,
        "accounts": ["/accounts/alice"],
    }
    bought = client.post("/purchases", json={"account": "alice", "item": "pen"})
    assert (bought.status_code, bought.json()) == (201, {"balance": 28})


def test_problem_details_openapi_document() -> None:
    """The document declares ProblemDetail and the 422 as application/problem+json, and validates."""
    document = load("problem_details").app.openapi()
    validate(document)
    responses = document["paths"]["/purchases"]["post"]["responses"]
    assert list(responses["422"]["content"]) == [PROBLEM_JSON]
    assert {"ProblemDetail", "ValidationProblemDetail"} <= set(document["components"]["schemas"])


def test_problem_details_for_one_router() -> None:
    """/v2 answers problem documents, /v1 keeps FastAPI's bodies."""
    client = TestClient(load("problem_details_router").app)
    assert client.get("/v1/books/2").json() == {"detail": "No such book"}
    v2 = problem(client.get("/v2/books/2"))
    assert (v2["status"], v2["detail"], v2["instance"]) == (404, "No such book", "/v2/books/2")
    assert problem(client.get("/v2/books/x"))["errors"][0]["loc"] == ["path", "book_id"]
    assert client.get("/v2/books/1").json() == {"title": "Dune"}

"""The realistic application's scenarios (bench/realistic_app.py): one per route, vivace against FastAPI.

They run like the other HTTP scenarios (wrk, a checked first request, warm-up, rounds) on a server of their
own per framework, and get a table of their own with the geometric mean of vivace/FastAPI.
"""

import json
from typing import Any

import jwt
from scenarios import Scenario

# NOTE: the same default secret as bench/realistic_app.py's settings; user 1 exists in the seeded database.
SECRET = "bench-realistic-secret-key-not-for-production"
TOKEN = jwt.encode({"sub": "1", "exp": 4102444800}, SECRET, algorithm="HS256")  # expires in 2100
AUTH = ("authorization", f"Bearer {TOKEN}")
NEW_ARTICLE = {"title": "Benchmarks", "body": "Measured side by side.", "tags": ["perf", "python"]}
BOTH = frozenset({"vivace", "fastapi"})  # no peer serves this app


def _page_ok(data: Any) -> bool:
    items = data.get("items") if isinstance(data, dict) else None
    return isinstance(items, list) and len(items) == 20 and items[0]["id"] == 21 and "username" in items[0]["author"]


def _detail_ok(data: Any) -> bool:
    return data.get("id") == 42 and data.get("author", {}).get("id") == 3 and data.get("body", "").startswith("Body")


def _created_ok(data: Any) -> bool:
    return data.get("title") == NEW_ARTICLE["title"] and data.get("author", {}).get("username") == "user1"


def _me_ok(data: Any) -> bool:
    return data == {
        "id": 1,
        "username": "user1",
        "email": "user1@example.com",
        "full_name": None,
        "created_at": "2024-01-02T00:00:00",
    }


REALISTIC: tuple[Scenario, ...] = (
    Scenario(
        "app-list",
        "GET",
        "/articles?offset=20&limit=20",
        "pagination query model, yield session, a joined query, 20 nested models with datetimes",
        app="realistic",
        frameworks=BOTH,
        target_fastapi=1.1,
        check=_page_ok,
    ),
    Scenario(
        "app-detail",
        "GET",
        "/articles/42",
        "path parameter, yield session, one row with its author, nested response model",
        app="realistic",
        frameworks=BOTH,
        target_fastapi=1.1,
        check=_detail_ok,
    ),
    Scenario(
        "app-create",
        "POST",
        "/articles",
        "JWT bearer user loaded through the session, cached settings, a validated body, an INSERT",
        body=json.dumps(NEW_ARTICLE).encode(),
        headers=(AUTH, ("content-type", "application/json")),
        app="realistic",
        frameworks=BOTH,
        expected_status=201,
        target_fastapi=1.1,
        check=_created_ok,
        same_answer=False,  # the creation time and the new id differ
    ),
    Scenario(
        "app-me",
        "GET",
        "/users/me",
        "JWT bearer token decoded, its user loaded through the yield session, cached settings",
        headers=(AUTH,),
        app="realistic",
        frameworks=BOTH,
        target_fastapi=1.1,
        check=_me_ok,
    ),
)

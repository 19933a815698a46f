"""`vivace check`: static findings as `file:line: [code] message` + hint; exit 1 when any, 0 otherwise."""

from __future__ import annotations

import re
import textwrap

import pytest
from cli_support import HELLO_APP, Project, Runner

FINDING = re.compile(r"^(?P<file>\S+):(?P<line>\d+): \[(?P<code>[a-z-]+)\] (?P<message>.+)$")


def findings(out: str) -> list[tuple[str, int, str, str]]:
    """(file, line, code, message) of each finding; also checks every finding is followed by its hint."""
    lines = out.splitlines()
    found = []
    for index, line in enumerate(lines):
        match = FINDING.match(line)
        if match:
            assert lines[index + 1].startswith("    hint: "), line
            found.append((match["file"], int(match["line"]), match["code"], match["message"]))
    return found


def line_of(source: str, needle: str) -> int:
    """1-based line of the first line containing `needle` in the dedented source as written by Project."""
    text = textwrap.dedent(source).lstrip("\n")
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_clean_app_passes(project: Project, vivace: Runner) -> None:
    """No findings: one short line and exit status 0."""
    project.write("main.py", HELLO_APP)
    result = vivace("check")
    assert (result.code, result.out, result.err) == (0, "No problems found in main:app (main.py).\n", "")


BLOCKING = '''
import sqlite3
import time
import urllib.request
from pathlib import Path
from time import sleep as nap

import requests

from vivace import FastAPI

app = FastAPI()


@app.get("/sleep")
async def sleepy() -> None:
    time.sleep(1)
    nap(1)


@app.get("/http")
async def http() -> None:
    requests.get("https://example.org")
    urllib.request.urlopen("https://example.org")


@app.get("/files")
async def files() -> None:
    with open("data.txt") as handle:
        handle.read()
    Path("data.txt").read_text()


@app.get("/db")
async def db() -> None:
    import psycopg2

    sqlite3.connect("app.db")
    psycopg2.connect("dbname=app")


@app.get("/fine")
async def fine() -> None:
    import asyncio

    await asyncio.to_thread(time.sleep, 1)
    await asyncio.sleep(1)

    def later() -> None:
        time.sleep(1)  # defined here, not run on the event loop by this endpoint


@app.get("/sync")
def sync_endpoint() -> None:
    time.sleep(1)  # a def endpoint runs in the thread pool: blocking is fine
'''


def test_blocking_calls_in_async_endpoints(project: Project, vivace: Runner) -> None:
    """Sleeps, sync HTTP, file and DB calls inside `async def` endpoints are each reported at their line."""
    project.write("main.py", BLOCKING)
    result = vivace("check")
    assert result.code == 1
    reported = [(line, message.split("`")[1]) for file, line, code, message in findings(result.out)]
    expected = [
        "time.sleep(", "nap(", "requests.get(", "urllib.request.urlopen(", 'open("data.txt")', "Path(",
        "sqlite3.connect(", "psycopg2.connect(",
    ]
    assert reported == [(line_of(BLOCKING, needle), written) for needle, written in zip(expected, [
        "time.sleep()", "nap()", "requests.get()", "urllib.request.urlopen()", "open()", "Path(...).read_text()",
        "sqlite3.connect()", "psycopg2.connect()",
    ], strict=True)]
    assert {code for _, _, code, _ in findings(result.out)} == {"blocking-call"}
    assert result.out.endswith("8 problems found in main:app (main.py).\n")


def test_blocking_finding_text(project: Project, vivace: Runner) -> None:
    """The message names the endpoint and route; the hint gives the async replacement and the `def` option."""
    project.write("main.py", BLOCKING)
    out = vivace("check").out
    first = out.splitlines()[:2]
    assert first == [
        f"main.py:{line_of(BLOCKING, 'time.sleep(')}: [blocking-call] `time.sleep()` blocks the event loop in async "
        "endpoint `sleepy`, used by GET /sleep",
        "    hint: use `await asyncio.sleep(...)` (or `await anyio.sleep(...)`); or declare `sleepy` with `def` "
        "instead of `async def` so it runs in the thread pool",
    ]


DEPENDENCIES = '''
import time
from typing import Annotated

import requests

from vivace import Depends, FastAPI

app = FastAPI()


def fetch_profile(user: str) -> dict[str, str]:
    return requests.get(f"https://auth.example.org/{user}").json()


async def current_user() -> dict[str, str]:
    return fetch_profile("ada")


class RateLimiter:
    async def __call__(self) -> None:
        time.sleep(0.01)


@app.get("/me", dependencies=[Depends(RateLimiter())])
async def me(user: Annotated[dict[str, str], Depends(current_user)]) -> dict[str, str]:
    return user


@app.get("/other", dependencies=[Depends(current_user)])
async def other() -> None: ...
'''


def test_blocking_calls_in_dependencies_and_helpers(project: Project, vivace: Runner) -> None:
    """Async dependencies (functions and callable instances) are scanned, following the project's helpers."""
    project.write("main.py", DEPENDENCIES)
    result = vivace("check")
    assert result.code == 1
    found = findings(result.out)
    assert [(line, code) for _, line, code, _ in found] == [
        (line_of(DEPENDENCIES, "requests.get("), "blocking-call"),
        (line_of(DEPENDENCIES, "time.sleep("), "blocking-call"),
    ]
    helper, limiter = (message for *_, message in found)
    assert "in async dependency `current_user` (through fetch_profile())" in helper
    assert "in async dependency `RateLimiter`" in limiter
    assert "run `fetch_profile()` with `await anyio.to_thread.run_sync(...)`" in result.out
    assert "2 problems found" in result.out  # reported once although two routes use current_user


def test_duplicate_operation_ids(project: Project, vivace: Runner) -> None:
    """Two routes with one operation id, and one route with two methods, are both reported."""
    source = '''
    from vivace import FastAPI

    app = FastAPI()


    @app.get("/a", operation_id="list_things")
    async def a() -> None: ...


    @app.get("/b", operation_id="list_things")
    async def b() -> None: ...


    @app.api_route("/c", methods=["GET", "POST"])
    async def c() -> None: ...
    '''
    project.write("main.py", source)
    result = vivace("check")
    assert result.code == 1
    found = findings(result.out)
    assert [(line, code) for _, line, code, _ in found] == [
        (line_of(source, '"/b"'), "duplicate-operation-id"),
        (line_of(source, '"/c"'), "duplicate-operation-id"),
    ]
    assert found[0][3] == "operation id 'list_things' of GET /b is already used by GET /a"
    # the generated id takes one of the route's methods, like FastAPI's: either may come first
    assert re.fullmatch(r"operation id 'c_c_(get|post)' of POST /c is already used by GET /c", found[1][3])


SHADOWED = '''
from vivace import APIRouter, FastAPI

app = FastAPI()


@app.get("/users/{user_id}")
async def read_user(user_id: str) -> None: ...


@app.get("/users/me")
async def read_me() -> None: ...


@app.post("/users/me")
async def update_me() -> None: ...


@app.get("/items/{item_id:int}")
async def read_item(item_id: int) -> None: ...


@app.get("/items/latest")
async def latest_item() -> None: ...


@app.get("/files/{name}")
async def read_file(name: str) -> None: ...


@app.get("/files/{other}")
async def read_file_again(other: str) -> None: ...


@app.get("/orgs/{org}/repos/{repo}")
async def repo(org: str, repo: str) -> None: ...


@app.get("/orgs/vivace/repos/{repo}")
async def our_repo(repo: str) -> None: ...


@app.get("/static/{rest:path}")
async def static(rest: str) -> None: ...


@app.get("/static/app.js")
async def app_js() -> None: ...
'''


def test_shadowed_routes(project: Project, vivace: Runner) -> None:
    """Routes an earlier pattern always answers first are reported; other methods and narrower patterns are not."""
    project.write("main.py", SHADOWED)
    result = vivace("check")
    assert result.code == 1
    shadowed = [(line, message.split(" is never reached")[0]) for _, line, code, message in findings(result.out)]
    assert shadowed == [
        (line_of(SHADOWED, '"/users/me"'), "GET /users/me"),
        (line_of(SHADOWED, '"/files/{other}"'), "GET /files/{other}"),
        (line_of(SHADOWED, '"/orgs/vivace/repos/{repo}"'), "GET /orgs/vivace/repos/{repo}"),
        (line_of(SHADOWED, '"/static/app.js"'), "GET /static/app.js"),
    ]
    first = result.out.splitlines()[:2]
    assert first[0].endswith(
        f"GET /users/{{user_id}} (main.py:{line_of(SHADOWED, '/users/{user_id}')}) is declared earlier and "
        "matches it first"
    )
    assert first[1] == (
        "    hint: declare /users/me before /users/{user_id}, or narrow the earlier pattern (a convertor such as "
        "`{item_id:int}`)"
    )


def test_path_parameters_missing_or_unknown(project: Project, vivace: Runner) -> None:
    """A `{name}` no function reads, and a Path() parameter the path does not have, are both reported."""
    source = '''
    from typing import Annotated

    from vivace import Depends, FastAPI, Path

    app = FastAPI()


    def owner(owner_id: int) -> int:
        return owner_id


    @app.get("/owners/{owner_id}/pets/{pet_id}")
    async def pet(owner: Annotated[int, Depends(owner)]) -> None: ...


    @app.get("/pets")
    async def pets(pet_id: Annotated[int, Path()]) -> None: ...
    '''
    project.write("main.py", source)
    result = vivace("check")
    assert result.code == 1
    assert [(line, code) for _, line, code, _ in findings(result.out)] == [
        (line_of(source, "/owners/"), "path-param-missing"),
        (line_of(source, '"/pets"'), "path-param-unknown"),
    ]
    assert "path parameter {pet_id} of GET /owners/{owner_id}/pets/{pet_id} is not a parameter of `pet`" in result.out
    assert "`pet_id` of `pets` is declared with Path(), but /pets has no {pet_id}" in result.out


MODELS = '''
from pydantic import BaseModel, ConfigDict, field_serializer

from vivace import FastAPI


class Connection:
    pass


class Raw(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    connection: Connection


class Described(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    connection: Connection

    @field_serializer("connection")
    def name_it(self, connection: Connection) -> str:
        return "connection"


app = FastAPI()


@app.get("/raw")
async def raw() -> Raw: ...


@app.get("/raws", response_model=list[Raw])
async def raws() -> list[Raw]: ...


@app.get("/described")
async def described() -> Described: ...
'''


def test_response_models_that_cannot_be_serialized(project: Project, vivace: Runner) -> None:
    """An arbitrary type without a serializer fails every response; a field_serializer makes it fine."""
    project.write("main.py", MODELS)
    result = vivace("check")
    assert result.code == 1
    found = findings(result.out)
    assert [(line, code) for _, line, code, _ in found] == [
        (line_of(MODELS, '"/raw"'), "response-model"),
        (line_of(MODELS, '"/raws"'), "response-model"),
    ]
    assert found[0][3] == (
        "the response model Raw of GET /raw cannot be serialized: Connection has no JSON serializer, so every "
        "response fails with a 500"
    )
    assert "list[Raw] of GET /raws" in found[1][3]


def test_response_model_without_json_schema(project: Project, vivace: Runner) -> None:
    """A serializable model whose JSON Schema cannot be built is reported: /docs would fail."""
    source = '''
    from typing import Annotated

    from pydantic import BaseModel, ConfigDict, PlainSerializer

    from vivace import FastAPI


    class Connection:
        pass


    class Status(BaseModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        connection: Annotated[Connection, PlainSerializer(lambda value: "up")]


    app = FastAPI()


    @app.get("/status")
    async def status() -> Status: ...
    '''
    project.write("main.py", source)
    result = vivace("check")
    assert result.code == 1
    [(_, line, code, message)] = findings(result.out)
    assert (line, code) == (line_of(source, '"/status"'), "response-model")
    assert "it has no JSON Schema, so /openapi.json and /docs fail" in message


def test_invalid_declaration_is_a_finding(project: Project, vivace: Runner) -> None:
    """A response model vivace rejects at declaration stops the import: reported at the decorator, exit 1."""
    source = '''
    from vivace import FastAPI

    app = FastAPI()


    class NotAModel:
        pass


    @app.get("/thing", response_model=NotAModel)
    async def thing() -> None: ...
    '''
    project.write("main.py", source)
    result = vivace("check")
    assert result.code == 1
    [(file, line, code, message)] = findings(result.out)
    assert (file, line, code) == ("main.py", line_of(source, "@app.get"), "response-model")
    assert message.startswith("the response model cannot be serialized: Unable to generate pydantic-core schema")
    assert result.out.endswith("1 problem found (the app could not be imported, so the other checks did not run)\n")


@pytest.mark.parametrize("command", ["check", "routes"])
def test_other_import_errors_are_not_findings(project: Project, vivace: Runner, command: str) -> None:
    """An ordinary exception at import is a user-code error (exit 2), for check as for the other commands."""
    project.write("main.py", "raise ValueError('bad settings')\n")
    result = vivace(command)
    assert result.code == 2
    assert result.err.endswith("ValueError: bad settings\n")


def test_route_under_an_earlier_mount_is_shadowed(project: Project, vivace: Runner) -> None:
    """A route declared after a mount of the same prefix never receives requests; one outside it is fine."""
    source = '''
    from starlette.applications import Starlette

    from vivace import FastAPI

    app = FastAPI()
    app.mount("/static", Starlette())


    @app.get("/static/version")
    async def version() -> None: ...


    @app.get("/statistics")
    async def statistics() -> None: ...
    '''
    project.write("main.py", source)
    result = vivace("check")
    [(_, line, code, message)] = findings(result.out)
    assert (line, code) == (line_of(source, '"/static/version"'), "shadowed-route")
    assert message == (
        "GET /static/version is never reached: the mount at /static is declared earlier and matches it first"
    )

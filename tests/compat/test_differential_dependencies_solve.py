"""`request_params_to_args`, `request_body_to_args` and `solve_dependencies` resolve the same values and report
the same errors as FastAPI 0.165's for the same dependants and requests."""

import asyncio
import importlib
from contextlib import AsyncExitStack
from typing import Annotated, Any

import pytest
from pydantic import BaseModel
from starlette.datastructures import FormData, Headers, QueryParams, UploadFile
from starlette.requests import Request

FRAMEWORKS = ("vivace", "fastapi")


class Item(BaseModel):
    a: int


class Filters(BaseModel):
    limit: int = 10
    tags: list[str] = []


def _ns(name: str) -> tuple[Any, Any]:
    return importlib.import_module(name), importlib.import_module(f"{name}.dependencies.utils")


def _same(build: Any) -> Any:
    results = {name: build(name) for name in FRAMEWORKS}
    assert results["vivace"] == results["fastapi"]
    return results["vivace"]


def _query_endpoint(fa: Any) -> Any:
    def endpoint(
        q: int,
        r: list[int] = fa.Query([]),
        s: Annotated[str | None, fa.Query(alias="S", max_length=2)] = None,
        x_tok: Annotated[str, fa.Header()] = "t",
        hs: Annotated[list[str] | None, fa.Header()] = None,
        f: Annotated[Filters | None, fa.Query()] = None,
    ) -> None:
        return None

    return endpoint


@pytest.mark.parametrize(
    "query", ["q=1&r=2&r=3&S=ab", "q=x&r=a&S=abc&limit=3&tags=a&tags=b", "", "q=2&limit=z"]
)
def test_request_params_to_args_query(query: str) -> None:
    """Query fields: repeated keys, aliases, constraints, a query model, missing required values."""
    def build(name: str) -> Any:
        fa, du = _ns(name)
        node = du.get_dependant(path="/", call=_query_endpoint(fa))
        return du.request_params_to_args(node.query_params, QueryParams(query))

    _same(build)


@pytest.mark.parametrize(
    "raw", [[(b"x-tok", b"v"), (b"hs", b"1")], [(b"hs", b"1"), (b"hs", b"2"), (b"x_tok", b"u")], []]
)
def test_request_params_to_args_headers(raw: list[tuple[bytes, bytes]]) -> None:
    """Header fields: underscores read as hyphens, repeated headers as lists, defaults when absent."""
    def build(name: str) -> Any:
        fa, du = _ns(name)
        node = du.get_dependant(path="/", call=_query_endpoint(fa))
        return du.request_params_to_args(node.header_params, Headers(raw=raw))

    _same(build)


def test_request_params_to_args_with_no_fields() -> None:
    """No fields: nothing read, no errors."""
    _same(lambda name: _ns(name)[1].request_params_to_args([], {"a": "1"}))


def _body_endpoints(fa: Any) -> dict[str, Any]:
    def one(item: Item) -> None: ...
    def two(item: Item, n: Annotated[int, fa.Body()], m: Annotated[int, fa.Body(alias="M")] = 5) -> None: ...
    def emb(n: Annotated[int, fa.Body(embed=True)]) -> None: ...

    return {"one": one, "two": two, "emb": emb}


@pytest.mark.parametrize(
    ("endpoint", "body", "embed"),
    [
        ("one", {"a": 1}, False),
        ("one", {"a": "x"}, False),
        ("one", None, False),
        ("one", [1], False),
        ("one", {"item": {"a": 1}}, True),
        ("two", {"item": {"a": 1}, "n": 2}, True),
        ("two", {"item": {"a": "x"}}, True),
        ("two", None, True),
        ("two", [], True),
        ("two", {"item": {"a": 1}, "n": 2, "M": "z"}, True),
        ("emb", {"n": 1}, True),
        ("emb", {}, True),
        ("emb", 5, True),
    ],
)
def test_request_body_to_args_json(endpoint: str, body: Any, embed: bool) -> None:
    """JSON bodies: a single body validated whole, embedded fields read by alias, non-objects all missing."""
    def build(name: str) -> Any:
        fa, du = _ns(name)
        node = du.get_dependant(path="/", call=_body_endpoints(fa)[endpoint])
        return asyncio.run(du.request_body_to_args(node.body_params, body, embed))

    _same(build)


def _form(items: list[tuple[str, Any]] | None) -> FormData | None:
    return None if items is None else FormData(items)


@pytest.mark.parametrize(
    "items",
    [
        [("x", "a"), ("ys", "1"), ("ys", "2")],
        [],
        [("x", ""), ("ys", "q")],
        None,
        [("x", "a"), ("f", "file")],
    ],
)
def test_request_body_to_args_form(items: list[tuple[str, Any]] | None) -> None:
    """Form bodies: repeated fields as lists, empty strings as missing, uploaded bytes read from the file."""
    def build(name: str) -> Any:
        fa, du = _ns(name)

        def form(
            x: Annotated[str, fa.Form()],
            ys: Annotated[list[int], fa.Form()] = [],  # noqa: B006 - the default is never mutated
            f: Annotated[bytes | None, fa.File()] = None,
        ) -> None:
            return None

        node = du.get_dependant(path="/", call=form)
        data = items
        if data and data[-1][0] == "f":
            import io

            data = [*data[:-1], ("f", UploadFile(io.BytesIO(b"contents"), filename="f.txt"))]
        return asyncio.run(du.request_body_to_args(node.body_params, _form(data), True))

    _same(build)


def _request(query: bytes = b"q=5", path_params: dict[str, str] | None = None) -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/items/3",
        "query_string": query,
        "headers": [(b"x-token", b"tk"), (b"cookie", b"c=1")],
        "path_params": path_params if path_params is not None else {"item_id": "3"},
    }
    return Request(scope)


def _solve(name: str, dep_scope: str | None, request: Request, body: Any, overrides: bool) -> Any:
    fa, du = _ns(name)
    log: list[Any] = []

    def common(q: int = 0, x_token: Annotated[str | None, fa.Header()] = None) -> dict[str, Any]:
        log.append(("common", q, x_token))
        return {"q": q, "tok": x_token}

    async def agen(c: Annotated[str, fa.Cookie()] = "none") -> Any:
        log.append("enter")
        yield c
        log.append("exit")

    def doubled(com: Any = fa.Depends(common)) -> int:
        return int(com["q"]) * 2

    def endpoint(
        item_id: int,
        item: Item,
        req: fa.Request,
        resp: fa.Response,
        tasks: fa.BackgroundTasks,
        com: Any = fa.Depends(common),
        g: Any = fa.Depends(agen, scope=dep_scope),
        d2: Any = fa.Depends(doubled),
    ) -> None:
        return None

    class Provider:
        dependency_overrides = {common: lambda: {"q": 100, "tok": "o"}} if overrides else {}

    node = du.get_dependant(path="/items/{item_id}", call=endpoint)

    async def go() -> Any:
        async with AsyncExitStack() as stack, AsyncExitStack() as inner, AsyncExitStack() as function:
            stack.callback(log.append, "caller stack closed")
            inner.callback(log.append, "request stack closed")
            function.callback(log.append, "function stack closed")
            request.scope["fastapi_inner_astack"] = inner
            request.scope["fastapi_function_astack"] = function
            solved = await du.solve_dependencies(
                request=request, dependant=node, body=body, async_exit_stack=stack, embed_body_fields=False,
                dependency_overrides_provider=Provider(),
            )
            log.append("solved")
        values = {k: v if k not in ("req", "resp", "tasks") else type(v).__name__ for k, v in solved.values.items()}
        described = (
            sorted(values.items(), key=str), solved.errors, type(solved.background_tasks).__name__,
            solved.response.status_code, len(solved.dependency_cache),
        )
        return described, log

    return asyncio.run(go())


@pytest.mark.parametrize("dep_scope", [None, "function", "request"])
def test_solve_dependencies_values_calls_and_cleanup_order(dep_scope: str | None) -> None:
    """Values, the shared cache (one call of a repeated dependency) and which stack closes a yield dependency."""
    _same(lambda name: _solve(name, dep_scope, _request(), {"a": 1}, overrides=False))


def test_solve_dependencies_reports_every_error_and_skips_failed_dependencies() -> None:
    """Invalid path, query and body values are all reported; dependencies with bad inputs are not called."""
    _same(lambda name: _solve(name, None, _request(b"q=zz", {"item_id": "x"}), {"a": "b"}, overrides=False))


def test_solve_dependencies_applies_the_providers_overrides() -> None:
    """dependency_overrides on the provider replace a dependency at solve time."""
    _same(lambda name: _solve(name, None, _request(), {"a": 1}, overrides=True))


def test_solve_dependencies_without_scope_stacks_uses_the_callers_stack() -> None:
    """vivace (unlike FastAPI, which asserts) falls back to async_exit_stack when the scope has no stacks."""
    _, du = _ns("vivace")
    log: list[str] = []

    def gen() -> Any:
        yield 1
        log.append("closed")

    def endpoint(g: int = importlib.import_module("vivace").Depends(gen)) -> None:
        return None

    async def go() -> Any:
        async with AsyncExitStack() as stack:
            solved = await du.solve_dependencies(
                request=_request(), dependant=du.get_dependant(path="/", call=endpoint), async_exit_stack=stack,
                embed_body_fields=False,
            )
            assert log == []
        return solved.values

    assert asyncio.run(go()) == {"g": 1}
    assert log == ["closed"]


def test_solved_dependency_has_fastapis_field_names() -> None:
    """SolvedDependency exposes values, errors, background_tasks, response and dependency_cache."""
    def build(name: str) -> Any:
        import dataclasses

        return [f.name for f in dataclasses.fields(_ns(name)[1].SolvedDependency)]

    _same(build)


def test_an_endpoint_solving_a_callables_dependencies_itself() -> None:
    """The "dependency helper" pattern: inside an endpoint, get_dependant + solve_dependencies on the live request
    resolve a callable's parameters, sub-dependencies and yield dependency, and report bad input as errors."""
    def build(name: str) -> Any:
        fa, du = _ns(name)
        app = fa.FastAPI()
        log: list[str] = []

        def token(x_token: Annotated[str, fa.Header()]) -> str:
            return x_token.upper()

        def session() -> Any:
            log.append("open")
            yield "session"
            log.append("close")

        def handler(q: int, tok: str = fa.Depends(token), db: str = fa.Depends(session)) -> dict[str, Any]:
            return {"q": q, "tok": tok, "db": db}

        @app.get("/run")
        async def run(request: fa.Request) -> Any:
            node = du.get_dependant(path="/run", call=handler)
            async with AsyncExitStack() as stack:
                solved = await du.solve_dependencies(
                    request=request, dependant=node, async_exit_stack=stack, embed_body_fields=False
                )
                if solved.errors:
                    return {"errors": [dict(e, loc=list(e["loc"])) for e in solved.errors]}
                return handler(**solved.values)

        client = importlib.import_module(f"{name}.testclient").TestClient(app)
        first = client.get("/run?q=3", headers={"x-token": "abc"}).json()
        second = client.get("/run?q=x").json()
        return first, second, log

    result = _same(build)
    assert result[0] == {"q": 3, "tok": "ABC", "db": "session"}


def test_solve_dependencies_security_scopes_and_injected_objects() -> None:
    """SecurityScopes collect the scopes of the Security chain; Request, Response and BackgroundTasks are injected
    into sub-dependencies, and the background tasks object is created once and handed back."""
    def build(name: str) -> Any:
        fa, du = _ns(name)
        scopes_cls = importlib.import_module(f"{name}.security").SecurityScopes
        seen: list[Any] = []

        def inner(security_scopes: scopes_cls, request: fa.Request, tasks: fa.BackgroundTasks) -> str:  # type: ignore[valid-type]
            seen.append((security_scopes.scopes, security_scopes.scope_str, request.url.path, type(tasks).__name__))
            return "inner"

        def outer(value: str = fa.Security(inner, scopes=["b"]), response: fa.Response = None) -> str:  # type: ignore[assignment]
            response.headers["x-seen"] = "1"
            return value

        def endpoint(v: str = fa.Security(outer, scopes=["a"]), tasks: fa.BackgroundTasks = None) -> None:  # type: ignore[assignment]
            return None

        node = du.get_dependant(path="/", call=endpoint)

        async def go() -> Any:
            request = _request()
            async with AsyncExitStack() as stack:
                request.scope["fastapi_inner_astack"] = request.scope["fastapi_function_astack"] = stack
                solved = await du.solve_dependencies(
                    request=request, dependant=node, async_exit_stack=stack, embed_body_fields=False
                )
            return (
                solved.values["v"], solved.values["tasks"] is solved.background_tasks,
                solved.response.headers.get("x-seen"), solved.errors,
            )

        return asyncio.run(go()), seen

    _same(build)

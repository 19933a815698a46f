"""One startup run, in a fresh interpreter: `python bench/startup_child.py vivace|fastapi` prints a JSON report.

Started by bench/startup.py. The clock starts before anything but `sys` and `time` is imported, so the
framework's import time includes every standard-library module it pulls in. With `first-only` as a second
argument the run stops after the first request (to count the instructions of exactly that under callgrind:
`valgrind --tool=callgrind python bench/startup_child.py vivace first-only`).
"""

import sys
import time

STARTED = time.perf_counter()

import asyncio  # noqa: E402 (after the clock starts, on purpose)
import importlib.util  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
TOKEN = "Bearer startup-token"
BODY = b'{"name":"widget","price":9.5,"tags":["a","b"]}'
Request = tuple[str, str, tuple[tuple[str, str], ...], bytes, int]  # method, path, headers, body, status
JSON_AUTH = (("authorization", TOKEN), ("content-type", "application/json"))
# The app's first request, then a route that has not run yet (a body, an auth dependency chain), twice.
FIRST: Request = ("GET", "/r0/1", (), b"", 200)
COLD: Request = ("POST", "/r12/", JSON_AUTH, BODY, 201)


def every_route(resources: int) -> list[Request]:
    """One valid request to each of the app's routes, in declaration order (see startup_app.resource_router)."""
    found: list[Request] = []
    for n in range(resources):
        found += [
            ("GET", f"/r{n}/?offset=0&limit=5", (), b"", 200),
            ("GET", f"/r{n}/1", (), b"", 200),
            ("POST", f"/r{n}/", JSON_AUTH, BODY, 201),
            ("PUT", f"/r{n}/1", JSON_AUTH, BODY, 200),
            ("DELETE", f"/r{n}/1", JSON_AUTH, b"", 204),
            ("GET", f"/r{n}/1/tags", (), b"", 200),
            ("GET", f"/r{n}/search/by-tag?tag%5B%5D=a&sortBy=price", (), b"", 200),
            ("POST", f"/r{n}/1/archive", JSON_AUTH, b"", 200),
        ]
    return found


def peak_rss_mb() -> float:
    """VmHWM from /proc (the kernel's high-water mark of resident memory), else getrusage's maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def send_request(app: Any, request: Request) -> float:
    """Send one request straight into the ASGI app; returns its wall time in ms, after checking the status."""
    method, target, headers, body, expected = request
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"startup"), *((k.encode(), v.encode()) for k, v in headers)],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # a client that never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    await app(scope, receive, send)
    elapsed = (time.perf_counter() - started) * 1000
    if statuses != [expected]:
        raise SystemExit(f"{method} {path}: status {statuses}, expected {expected}")
    return elapsed


async def first_requests(app: Any, resources: int, first_only: bool = False) -> dict[str, float]:
    """The first request, a cold route twice, then every route once (what a framework defers, it pays here)."""
    timings = {"first_request_ms": await send_request(app, FIRST)}
    if first_only:
        return timings
    timings["cold_route_ms"] = await send_request(app, COLD)
    timings["warm_route_ms"] = await send_request(app, COLD)
    started = time.perf_counter()
    for request in every_route(resources):
        await send_request(app, request)
    timings["every_route_ms"] = (time.perf_counter() - started) * 1000
    return timings


def load_app() -> tuple[Any, int]:
    """Import bench/startup_app.py by path (bench/ is not a package); its app and its number of resources."""
    spec = importlib.util.spec_from_file_location("bench_startup_app", BENCH_DIR / "startup_app.py")
    if spec is None or spec.loader is None:
        raise SystemExit("cannot load startup_app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # NOTE: Pydantic resolves forward references through sys.modules
    spec.loader.exec_module(module)
    return module.app, module.RESOURCES


def main(framework: str, first_only: bool = False) -> dict[str, float]:
    if framework == "vivace":
        from vivace.compat import install

        install()
    import fastapi

    imported = time.perf_counter()
    app, resources = load_app()
    built = time.perf_counter()
    if type(app) is not fastapi.FastAPI or type(app).__module__.partition(".")[0] != framework:
        raise SystemExit(f"asked for {framework} but the app is a {type(app).__module__}.{type(app).__name__}")
    timings = asyncio.run(first_requests(app, resources, first_only))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "import_ms": (imported - STARTED) * 1000,
        "build_ms": (built - imported) * 1000,
        **timings,
        "startup_ms": (built - STARTED) * 1000 + timings["first_request_ms"],
        "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000,
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2:] == ["first-only"])))

"""Time (and optionally profile) the benchmark app in-process, without a server or a network in the way.

    python bench/inprocess.py --framework vivace --scenarios hello,deps-3 [--profile 25]

Each scenario's request is replayed straight into the ASGI app (synthetic scope, `receive` and `send`), so
the numbers are the framework's own cost per request (per message for "ws", per event for "sse"), not
uvicorn's. `--profile N` runs cProfile over the loop and prints the N most expensive functions by own time.
One framework per process: the vivace run installs the `fastapi` import alias, which must not leak.
"""

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from scenarios import Scenario, select
from serve import FRAMEWORKS, load_app

Message = dict[str, Any]
Runner = Callable[[], Awaitable[int]]  # one unit of work; returns how many items (requests, events) it did


def http_scope(scenario: Scenario, *, path: str | None = None) -> Message:
    target = path if path is not None else scenario.path
    route, _, query = target.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": scenario.method,
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"bench"), *((k.encode(), v.encode()) for k, v in scenario.headers)],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


def http_runner(app: Any, scenario: Scenario, state: dict[str, Any]) -> Runner:
    """One request per call; checks the status so a broken scenario is not timed."""
    never: asyncio.Future[Message] | None = None

    async def run_once() -> int:
        nonlocal never
        if never is None:
            never = asyncio.get_running_loop().create_future()  # a client that never disconnects
        sent = False
        status = 0

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return await never  # type: ignore[misc]
            sent = True
            return {"type": "http.request", "body": scenario.body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        scope = http_scope(scenario)
        scope["state"] = dict(state)
        await app(scope, receive, send)
        if status != scenario.expected_status:
            raise SystemExit(f"{scenario.name}: HTTP {status}")
        return 1

    return run_once


def sse_runner(app: Any, scenario: Scenario, state: dict[str, Any]) -> Runner:
    """One whole stream per call; returns the number of events sent."""
    base = http_runner(app, scenario, state)

    async def run_once() -> int:
        await base()
        return int(scenario.path.rpartition("=")[2])

    return run_once


def ws_runner(app: Any, scenario: Scenario, messages: int = 1000) -> Runner:
    """One connection echoing `messages` messages per call."""
    text = scenario.body.decode()

    async def run_once() -> int:
        inbox: asyncio.Queue[Message] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        for _ in range(messages):
            inbox.put_nowait({"type": "websocket.receive", "text": text})
        inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
        echoed = 0

        async def send(message: Message) -> None:
            nonlocal echoed
            if message["type"] == "websocket.send":
                echoed += 1

        scope = http_scope(scenario)
        scope.update(type="websocket", scheme="ws", subprotocols=[])
        del scope["method"]
        await app(scope, inbox.get, send)
        if echoed != messages:
            raise SystemExit(f"{scenario.name}: {echoed} of {messages} echoed")
        return messages

    return run_once


async def startup(app: Any) -> tuple[dict[str, Any], Callable[[], Awaitable[None]]]:
    """Run the app's lifespan startup; returns the state to copy into each request's scope and the shutdown."""
    state: dict[str, Any] = {}
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    inbox.put_nowait({"type": "lifespan.startup"})
    started = asyncio.Event()

    async def send(message: Message) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()
        elif message["type"] == "lifespan.startup.failed":
            raise SystemExit(f"startup failed: {message.get('message')}")

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    task = asyncio.get_running_loop().create_task(app(scope, inbox.get, send))
    await started.wait()

    async def shutdown() -> None:
        inbox.put_nowait({"type": "lifespan.shutdown"})
        await task

    return state, shutdown


async def time_scenario(app: Any, scenario: Scenario, seconds: float, profiler: cProfile.Profile | None) -> float:
    """Items per second over about `seconds` (after a short warm-up)."""
    state, lifespan = await startup(app)
    try:
        return await _time(app, scenario, seconds, profiler, state)
    finally:
        await lifespan()


async def _time(
    app: Any, scenario: Scenario, seconds: float, profiler: cProfile.Profile | None, state: dict[str, Any]
) -> float:
    if scenario.kind == "ws":
        run_once = ws_runner(app, scenario)
    elif scenario.kind == "sse":
        run_once = sse_runner(app, scenario, state)
    else:
        run_once = http_runner(app, scenario, state)
    warm_until = time.perf_counter() + min(0.5, seconds / 4)
    while time.perf_counter() < warm_until:
        await run_once()
    if profiler is not None:
        profiler.enable()
    items, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        items += await run_once()
    elapsed = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
    return items / elapsed


def run(coroutine: Coroutine[Any, Any, float]) -> float:
    """On uvloop when it is installed, as under the benchmark's uvicorn."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--framework", choices=FRAMEWORKS, required=True)
    parser.add_argument("--scenarios", default="", help="comma-separated; all the framework serves when empty")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N top functions")
    args = parser.parse_args(argv)
    app = load_app(args.framework)
    chosen = [s for s in select([n for n in args.scenarios.split(",") if n]) if args.framework in s.frameworks]
    for scenario in chosen:
        profiler = cProfile.Profile() if args.profile else None
        rate = run(time_scenario(app, scenario, args.seconds, profiler))
        print(f"{args.framework:<8} {scenario.name:<11} {rate:>10,.0f} {scenario.unit:<9} {1e6 / rate:8.1f} us each")
        if profiler is not None:
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()

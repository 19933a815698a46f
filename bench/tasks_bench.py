"""Durable tasks: how fast an endpoint enqueues, and how many tasks one worker runs per second.

Run: `.venv/bin/python bench/tasks_bench.py` (needs redis-server and wrk on PATH; `-h` for the options).
It starts its own redis-server on a free port, then:

1. **enqueue from an endpoint**: uvicorn (uvloop, httptools, one process) serves a small app; wrk sends `GET`
   requests for a few seconds to four routes that do the same nothing except: return a dict (`/plain`), add a
   no-op `BackgroundTasks` task (`/background`), enqueue a no-op durable task on the memory backend
   (`/enqueue/memory`), enqueue it through Redis (`/enqueue/redis`). Requests per second, and the ratio to
   `/plain`.
2. **end to end with one worker**: `--tasks` no-op tasks are enqueued through Redis (in batches of 100,
   concurrently), while one `vivace worker --concurrency C` process runs them; tasks per second from the first
   enqueue until the stream is empty and nothing is pending.

Each figure is the best of `--rounds` rounds. The server and the worker are pinned to CPU 0 and the load to the
other CPUs when `taskset` is available, as in bench/run.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

APP = """
import os

from vivace import BackgroundTasks, FastAPI
from vivace.tasks import Tasks
from vivace.tasks.redis import RedisTaskBackend

app = FastAPI()
tasks = Tasks(RedisTaskBackend(os.environ["REDIS_URL"], prefix="bench"))
tasks.install(app)
memory = Tasks()


@tasks.task(name="noop")
async def noop(n: int) -> None:
    pass


@memory.task(name="noop")
async def memory_noop(n: int) -> None:
    pass


def nothing() -> None:
    pass


@app.get("/plain")
async def plain() -> dict[str, int]:
    return {"n": 1}


@app.get("/background")
async def background(tasks: BackgroundTasks) -> dict[str, int]:
    tasks.add_task(nothing)
    return {"n": 1}


@app.get("/enqueue/memory")
async def enqueue_memory() -> dict[str, str]:
    return {"id": (await memory_noop.enqueue(1)).id}


@app.get("/enqueue/redis")
async def enqueue_redis() -> dict[str, str]:
    return {"id": (await noop.enqueue(1)).id}
"""

ROUTES = ("/plain", "/background", "/enqueue/memory", "/enqueue/redis")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pinned(cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus] if cpus and shutil.which("taskset") else []


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the process on port {port} did not start") from None
            time.sleep(0.05)


@contextmanager
def process(command: list[str], directory: Path, env: dict[str, str], log: str) -> Iterator[subprocess.Popen[bytes]]:
    with (directory / log).open("wb") as out:
        child = subprocess.Popen(command, cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wrk(url: str, seconds: int, connections: int, cpus: str | None) -> float:
    command = [*pinned(cpus), "wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses")
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert found is not None, output
    return float(found.group(1))


def bench_endpoints(args: argparse.Namespace, directory: Path, env: dict[str, str]) -> dict[str, float]:
    port = free_port()
    serve = [
        *pinned(args.server_cpu), sys.executable, "-m", "uvicorn", "app:app", "--port", str(port), "--loop", "uvloop",
        "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    best = dict.fromkeys(ROUTES, 0.0)
    with process(serve, directory, env, "uvicorn.log") as server:
        wait_for_port(port, server)
        for route in ROUTES:
            wrk(f"http://127.0.0.1:{port}{route}", 1, args.connections, args.load_cpus)  # warm-up
        for _ in range(args.rounds):
            for route in ROUTES:
                rate = wrk(f"http://127.0.0.1:{port}{route}", args.seconds, args.connections, args.load_cpus)
                best[route] = max(best[route], rate)
    return best


async def enqueue_all(count: int, redis_url: str) -> float:
    """Enqueue `count` no-op tasks; returns when the worker has run them all: tasks per second."""
    from redis.asyncio import Redis

    from vivace.tasks import Tasks
    from vivace.tasks.redis import RedisTaskBackend

    tasks = Tasks(RedisTaskBackend(redis_url, prefix="bench"))

    @tasks.task(name="noop")
    async def noop(n: int) -> None:
        pass

    client = Redis.from_url(redis_url)
    async with tasks:
        began = time.perf_counter()
        for start in range(0, count, 100):
            await asyncio.gather(*(noop.enqueue(n) for n in range(start, min(start + 100, count))))
        while await client.xlen("bench:stream") or (await client.xpending("bench:stream", "bench:workers"))["pending"]:
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - began
    await client.aclose()
    return count / elapsed


def bench_worker(args: argparse.Namespace, directory: Path, env: dict[str, str]) -> float:
    worker = [
        *pinned(args.server_cpu), sys.executable, "-m", "vivace", "worker", "app.py", "--concurrency",
        str(args.concurrency), "--log-level", "warning",
    ]  # fmt: skip
    best = 0.0
    with process(worker, directory, env, "worker.log") as child:
        time.sleep(2.0)  # NOTE: the worker logs nothing at this level; its startup takes about a second
        if child.poll() is not None:
            raise RuntimeError((directory / "worker.log").read_text())
        asyncio.run(enqueue_all(200, env["REDIS_URL"]))  # warm-up
        for _ in range(args.rounds):
            best = max(best, asyncio.run(enqueue_all(args.tasks, env["REDIS_URL"])))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per route and round (5)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best counts (3)")
    parser.add_argument("--tasks", type=int, default=5000, help="tasks enqueued for the end-to-end figure (5000)")
    parser.add_argument("--concurrency", type=int, default=10, help="the worker's --concurrency (10)")
    parser.add_argument("--server-cpu", default="0", help="CPU list for uvicorn and the worker (0)")
    parser.add_argument("--load-cpus", default="1-", help="CPU list for wrk and the producer (1-)")
    args = parser.parse_args()
    if args.load_cpus == "1-":
        args.load_cpus = ",".join(str(cpu) for cpu in sorted(os.sched_getaffinity(0)) if cpu != 0) or None
    for tool in ("redis-server", "wrk"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not on PATH")
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        (directory / "app.py").write_text(APP)
        redis_port = free_port()
        url = f"redis://127.0.0.1:{redis_port}/0"
        env = {**os.environ, "REDIS_URL": url, "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT / "src")])}
        redis_cmd = ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"]
        with process(redis_cmd, directory, env, "redis.log") as redis_server:
            wait_for_port(redis_port, redis_server)
            endpoints = bench_endpoints(args, directory, env)
            end_to_end = bench_worker(args, directory, env)
    plain = endpoints["/plain"]
    print(f"{'route':<18} {'requests/s':>11} {'vs /plain':>10}")
    for route, rate in endpoints.items():
        print(f"{route:<18} {rate:>11.0f} {rate / plain:>9.0%}")
    print(f"\nend to end, one worker (--concurrency {args.concurrency}): {end_to_end:.0f} tasks/s")


if __name__ == "__main__":
    main()

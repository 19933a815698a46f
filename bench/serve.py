"""Serve one benchmark app: `python bench/serve.py --framework vivace|fastapi|raw --port N [--server NAME]`.

`vivace` and `fastapi` serve the same file, bench/app.py (or bench/realistic_app.py with `--app realistic`);
for vivace the `fastapi` import alias is installed first. The peers (blacksheep, litestar, starlette) serve
their own bench/peer_<name>.py and run in the peers' virtualenv (bench/peers.py). The launcher refuses to
start when the app that got built is not the framework that was asked for, so an alias that silently fails
can never label FastAPI's numbers as vivace's.

`--server` picks the server: uvicorn (the default, uvloop + httptools), `granian-asgi` (granian's ASGI interface)
or `granian-rsgi` (granian's RSGI interface: vivace's native entry, or the raw RSGI app of bench/raw_rsgi.py).
granian imports its target by name in its worker process, so the framework, app and interface travel in the
environment to `granian_target`.
"""

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import uvicorn

BENCH_DIR = Path(__file__).resolve().parent
FRAMEWORKS = ("vivace", "fastapi", "raw", "blacksheep", "litestar", "starlette")
PEERS = ("blacksheep", "litestar", "starlette")  # served from bench/peer_<name>.py, in the peers' virtualenv
APPS = {"bench": "app.py", "realistic": "realistic_app.py"}
SERVERS = ("uvicorn", "granian-asgi", "granian-rsgi")


def load_module(path: Path, name: str) -> ModuleType:
    """Import a file by path, so the bench directory needs no package or sys.path set-up."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # NOTE: Pydantic resolves forward references through sys.modules
    spec.loader.exec_module(module)
    return module


def load_app(framework: str, app_name: str = "bench", interface: str = "asgi") -> Any:
    if framework == "raw":
        if interface == "rsgi":  # NOTE: the raw app written for granian's RSGI interface (bench/raw_rsgi.py)
            return load_module(BENCH_DIR / "raw_rsgi.py", "bench_raw_rsgi").app
        return load_module(BENCH_DIR / "raw_app.py", "bench_raw_app").app
    if framework in PEERS:
        return load_module(BENCH_DIR / f"peer_{framework}.py", f"bench_peer_{framework}").app
    if framework == "vivace":
        # NOTE: imported here, not at the top: only the vivace run may install the alias.
        from vivace.compat import install

        install()
    app = load_module(BENCH_DIR / APPS[app_name], "bench_app" if app_name == "bench" else f"bench_{app_name}_app").app
    built_by = type(app).__module__.partition(".")[0]
    if built_by != framework:
        raise SystemExit(f"asked for {framework} but the app is a {type(app).__module__}.{type(app).__name__}")
    return app


def granian_target() -> Any:
    """What granian's worker serves (a factory): the app named by BENCH_SERVE_FRAMEWORK and BENCH_SERVE_APP."""
    env = os.environ
    return load_app(env["BENCH_SERVE_FRAMEWORK"], env["BENCH_SERVE_APP"], env["BENCH_SERVE_INTERFACE"])


def serve_granian(framework: str, app_name: str, interface: str, host: str, port: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    if interface == "rsgi" and framework not in ("vivace", "raw"):
        raise SystemExit(f"{framework} has no RSGI entry; serve it with granian-asgi")
    os.environ.update(BENCH_SERVE_FRAMEWORK=framework, BENCH_SERVE_APP=app_name, BENCH_SERVE_INTERFACE=interface)
    Granian(
        "serve:granian_target",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.RSGI if interface == "rsgi" else Interfaces.ASGI,
        workers=1,
        loop=Loops.uvloop,
        websockets=True,
        log_access=False,
        log_level="warning",  # type: ignore[arg-type]
        working_dir=BENCH_DIR,
    ).serve()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--framework", choices=FRAMEWORKS, required=True)
    parser.add_argument("--app", choices=sorted(APPS), default="bench", help="which application file to serve")
    parser.add_argument("--server", choices=SERVERS, default="uvicorn", help="the server (default: uvicorn)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.server != "uvicorn":
        serve_granian(args.framework, args.app, args.server.removeprefix("granian-"), args.host, args.port)
        return
    config = uvicorn.Config(
        load_app(args.framework, args.app),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        workers=1,
        ws="websockets-sansio",
        access_log=False,
        log_level="warning",
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()

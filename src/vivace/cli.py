"""The `vivace` command: `dev`, `run`, `routes`, `openapi`, `check`, and `worker` / `scheduler` for durable tasks.

This module only parses the command line and reports errors; each command's work lives in `vivace._cli`.
A problem the user can fix (no app, an import error in their code, a busy port) is printed as a short message
with exit status 2, never as a vivace traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from vivace import __version__
from vivace._cli.check import declaration_finding, run_checks
from vivace._cli.discover import DEFAULT_FILES, LoadedApp, display_path, load_app
from vivace._cli.document import openapi_text
from vivace._cli.errors import CLIError, UserCodeError
from vivace._cli.routes import plans_text, routes_text
from vivace._cli.serve import SERVERS, ServeOptions, require_server, serve
from vivace._cli.worker import add_commands as add_worker_commands

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]

_EPILOG = (
    f"Without PATH the app is looked for in {', '.join(DEFAULT_FILES)} (in that order), in the variable `app` "
    "or `api` or any app the module defines."
)


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (1-65535)")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def _add_app_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", metavar="PATH", help="the Python file or package that defines the app")
    parser.add_argument("--app", metavar="NAME", help="the variable (or, with --factory, the function) to use")
    parser.add_argument(
        "--factory", action="store_true", help="call the function (`create_app` or --app NAME) to build the app"
    )


def _add_server_arguments(parser: argparse.ArgumentParser, *, host: str, reload: bool) -> None:
    parser.add_argument("--host", default=host, help=f"the address to listen on (default: {host})")
    parser.add_argument("--port", type=_port, default=8000, help="the port to listen on (default: 8000)")
    parser.add_argument(
        "--reload", action=argparse.BooleanOptionalAction, default=reload,
        help=f"restart when a file of the project changes (default: {'on' if reload else 'off'})",
    )
    parser.add_argument("--root-path", default="", help="the path prefix a proxy serves the app under")
    parser.add_argument(
        "--proxy-headers", action=argparse.BooleanOptionalAction, default=True,
        help="trust X-Forwarded-For/-Proto from the addresses in --forwarded-allow-ips (default: on)",
    )
    parser.add_argument(
        "--forwarded-allow-ips", metavar="IPS",
        help="comma-separated proxy addresses or networks (* for any) to trust (default: 127.0.0.1)",
    )
    parser.add_argument(
        "--timeout-graceful-shutdown", type=float, metavar="SECONDS", default=3.0 if reload else 10.0,
        help="on SIGTERM or Ctrl+C, how long the server (uvicorn, or granian's workers) waits for requests in flight; "
        f"streams end cleanly before, see docs/guide/shutdown.md (default: {3 if reload else 10})",
    )
    parser.add_argument(
        "--server", choices=SERVERS, default="uvicorn",
        help="the server: uvicorn, or granian (over RSGI when the app allows, see docs/guide/granian.md)",
    )


def _add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dev = commands.add_parser(
        "dev", help="serve the app for development (127.0.0.1, reload on)", epilog=_EPILOG,
        description="Serve the app on 127.0.0.1:8000 with uvicorn, restarting it when a file changes.",
    )
    _add_app_arguments(dev)
    _add_server_arguments(dev, host="127.0.0.1", reload=True)
    dev.set_defaults(handler=_serve, command="dev")

    run = commands.add_parser(
        "run", help="serve the app in production (0.0.0.0, no reload)", epilog=_EPILOG,
        description="Serve the app on 0.0.0.0:8000 with production defaults: no reload, proxy headers trusted.",
    )
    _add_app_arguments(run)
    _add_server_arguments(run, host="0.0.0.0", reload=False)
    run.add_argument("--workers", type=_positive, default=1, help="number of worker processes (default: 1)")
    run.set_defaults(handler=_serve, command="run")

    routes = commands.add_parser(
        "routes", help="print the route table", epilog=_EPILOG,
        description="Print every route in matching order: methods, path, name, dependencies, response model.",
    )
    _add_app_arguments(routes)
    routes.add_argument("--plans", action="store_true", help="print the compiled RoutePlan of each API route instead")
    routes.set_defaults(handler=_routes)

    openapi = commands.add_parser(
        "openapi", help="write the OpenAPI document", epilog=_EPILOG,
        description="Write the app's OpenAPI document (app.openapi()) without starting a server.",
    )
    _add_app_arguments(openapi)
    openapi.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    openapi.add_argument("--yaml", action="store_true", help="write YAML instead of JSON (needs PyYAML)")
    openapi.set_defaults(handler=_openapi)

    check = commands.add_parser(
        "check", help="find common mistakes without running the app", epilog=_EPILOG,
        description="Static checks: blocking calls in async code, duplicate operation ids, shadowed routes, "
        "path parameters missing from signatures, response models that cannot be serialized. "
        "Exit status 1 when something is found.",
    )
    _add_app_arguments(check)
    check.set_defaults(handler=_check)

    add_worker_commands(commands, _add_app_arguments, _EPILOG)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vivace", description="Serve, inspect and check a vivace (or FastAPI-style) application."
    )
    parser.add_argument("--version", action="version", version=f"vivace {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    _add_commands(commands)
    return parser


# -- commands ---------------------------------------------------------------------------------------------


def _load(args: argparse.Namespace) -> LoadedApp:
    return load_app(args.path, name=args.app, factory=args.factory)


def _serve(args: argparse.Namespace) -> int:
    """`dev` and `run`: the same steps, with the defaults their parsers set."""
    options = ServeOptions(
        command=args.command, host=args.host, port=args.port, reload=args.reload,
        workers=getattr(args, "workers", 1), root_path=args.root_path, proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips, server=getattr(args, "server", "uvicorn"),
        graceful_timeout=args.timeout_graceful_shutdown,
    )
    require_server(options.server)  # NOTE: before importing the app, so a missing server fails fast
    if args.command == "dev":
        os.environ.setdefault("FASTAPI_ENV", "development")  # NOTE: before the import: app.frontend() reads it
    serve(_load(args), options)
    return 0


def _routes(args: argparse.Namespace) -> int:
    loaded = _load(args)
    print(plans_text(loaded.app) if args.plans else routes_text(loaded.app))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    text = openapi_text(_load(args).app, as_yaml=args.yaml)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CLIError(f"Cannot write {args.output}: {exc.strerror}") from exc
    print(f"OpenAPI document written to {display_path(args.output)}", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    try:
        loaded = _load(args)
    except UserCodeError as error:
        # NOTE: an invalid route declaration stops the import; it is a finding, not a crash of the command
        finding = declaration_finding(error)
        if finding is None:
            raise
        print(finding.format())
        print("1 problem found (the app could not be imported, so the other checks did not run)")
        return 1
    findings = run_checks(loaded)
    for finding in findings:
        print(finding.format())
    where = display_path(loaded.location.file)
    if not findings:
        print(f"No problems found in {loaded.import_string} ({where}).")
        return 0
    print(f"{len(findings)} problem{'s' if len(findings) > 1 else ''} found in {loaded.import_string} ({where}).")
    return 1


# -- entry point ------------------------------------------------------------------------------------------


def _report(error: CLIError, stream: TextIO) -> None:
    print(f"Error: {error.message}", file=stream)
    if isinstance(error, UserCodeError):
        print(error.details.rstrip("\n"), file=stream)
    if error.hint:
        print(f"Hint: {error.hint}", file=stream)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`) and return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # -h, --version and usage errors: argparse has already printed what to say
        return exc.code if isinstance(exc.code, int) else 2
    handler: Handler = args.handler
    try:
        return handler(args)
    except CLIError as error:
        _report(error, sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
